{#- The code lists of FORMATS.md and METRICS.md, in factsheet order, in one place. -#}

{#- Graded aspects per channel: (label, column in staging), factsheet order. Hostmanship is
    placed by aspect_order() but computed from its six items. -#}
{% macro aspect_columns() -%}
    {{ return([
        ('Openingstijden', 'openingstijden'),
        ('Wachtruimte', 'wachtruimte'),
        ('Wachttijd', 'wachttijd'),
        ('Privacy aan de balie', 'privacy_aan_de_balie'),
        ('Vriendelijkheid', 'vriendelijkheid'),
        ('Deskundigheid', 'deskundigheid'),
        ('Prijs van het product', 'prijs_van_het_product'),
        ('Doorlooptijd', 'doorlooptijd'),
        ('Bereikbaarheid', 'bereikbaarheid'),
        ('Duidelijkheid van de informatie', 'duidelijkheid_van_de_informatie'),
    ]) }}
{%- endmacro %}

{% macro aspect_order() -%}
    {{ return({
        'balie': ['Openingstijden', 'Wachtruimte', 'Wachttijd', 'Privacy aan de balie',
                  'Vriendelijkheid', 'Deskundigheid', 'Hostmanship', 'Prijs van het product',
                  'Doorlooptijd'],
        'telefoon': ['Bereikbaarheid', 'Wachttijd', 'Vriendelijkheid', 'Deskundigheid',
                     'Hostmanship', 'Duidelijkheid van de informatie', 'Doorlooptijd'],
    }) }}
{%- endmacro %}

{% macro hostmanship_columns() -%}
    {{ return([
        'hostmanship_bereidheid_om_te_helpen',
        'hostmanship_deskundigheid',
        'hostmanship_inleving',
        'hostmanship_verantwoordelijkheid',
        'hostmanship_oplossingen_aandragen',
        'hostmanship_vertegenwoordigt_de_gemeente',
    ]) }}
{%- endmacro %}

{#- Digitaal statements: (factsheet line, column in staging), in factsheet order. -#}
{% macro statement_columns() -%}
    {{ return([
        ('Aanvraag verliep eenvoudig', 'aanvraag_eenvoudig'),
        ('Digitaal loket is gebruiksvriendelijk', 'loket_gebruiksvriendelijk'),
        ('Digitaal loket is goed vindbaar', 'loket_vindbaar'),
        ('Benodigde info van de aanvraag is duidelijk', 'info_duidelijk'),
        ('Benodigde info is eenvoudig te vinden', 'info_vindbaar'),
        ('Formulier makkelijk in te vullen', 'formulier_makkelijk'),
        ('Gebruikte taal in het formulier is duidelijk', 'taal_duidelijk'),
    ]) }}
{%- endmacro %}

{% macro in_een_keer_geholpen_label() -%}In één keer geholpen{%- endmacro %}

{% macro product_order() -%}
    {{ return({
        'balie': ['Paspoort en ID-kaart', 'Rijbewijs', 'Uittreksel BRP',
                  'Huwelijk en partnerschap', 'Geboorteaangifte', 'Verhuizing',
                  'Overige producten'],
        'digitaal': ['Eerste inschrijving', 'Uittreksel BRP', 'Emigratie',
                     'Verklaring omtrent het gedrag', 'Naamgebruik', 'Afspraak maken',
                     'Verhuizing doorgeven'],
        'telefoon': ['Reisdocumenten', 'Rijbewijs', 'Verhuizing', 'Uittreksel BRP',
                     'Afspraak', 'Overige vragen'],
    }) }}
{%- endmacro %}

{#- A VALUES list (kanaal, label, volgorde) from one of the dicts above. -#}
{% macro order_values(order) -%}
    (values
    {%- for kanaal, labels in order.items() %}
        {%- set outer = loop %}
        {%- for label in labels %}
        ({{ sql_string(kanaal) }}, {{ sql_string(label) }}, {{ loop.index }}){{ ',' if not (outer.last and loop.last) }}
        {%- endfor %}
    {%- endfor %}
    )
{%- endmacro %}
