"""The vocabulary every stage shares: the code lists (channels, labels, products), the
municipalities of the CBS code list, and the periods."""
