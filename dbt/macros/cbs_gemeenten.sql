{#- CBS municipality codes and their official names, for the codes this project meets
    (CBS "Gemeentelijke indeling"). A factsheet shows the name from this list; the name in
    an export is used only for a code that is not in it (redacted and sanitised like any
    free text). Add a municipality here when it joins. -#}
{% macro cbs_gemeenten() -%}
    (values
        ('GM0014', 'Groningen'),
        ('GM0034', 'Almere'),
        ('GM0080', 'Leeuwarden'),
        ('GM0106', 'Assen'),
        ('GM0153', 'Enschede'),
        ('GM0193', 'Zwolle'),
        ('GM0200', 'Apeldoorn'),
        ('GM0202', 'Arnhem'),
        ('GM0268', 'Nijmegen'),
        ('GM0307', 'Amersfoort'),
        ('GM0344', 'Utrecht'),
        ('GM0363', 'Amsterdam'),
        ('GM0392', 'Haarlem'),
        ('GM0402', 'Hilversum'),
        ('GM0439', 'Purmerend'),
        ('GM0479', 'Zaanstad'),
        ('GM0484', 'Alphen aan den Rijn'),
        ('GM0503', 'Delft'),
        ('GM0505', 'Dordrecht'),
        ('GM0513', 'Gouda'),
        ('GM0518', '''s-Gravenhage'),
        ('GM0546', 'Leiden'),
        ('GM0599', 'Rotterdam'),
        ('GM0603', 'Rijswijk'),
        ('GM0627', 'Waddinxveen'),
        ('GM0637', 'Zoetermeer'),
        ('GM0687', 'Middelburg'),
        ('GM0758', 'Breda'),
        ('GM0772', 'Eindhoven'),
        ('GM0796', '''s-Hertogenbosch'),
        ('GM0855', 'Tilburg'),
        ('GM0935', 'Maastricht'),
        ('GM1621', 'Lansingerland'),
        ('GM1783', 'Westland'),
        ('GM1916', 'Leidschendam-Voorburg'),
        ('GM1926', 'Pijnacker-Nootdorp')
    ) as cbs_gemeenten(gemeentecode, naam)
{%- endmacro %}
