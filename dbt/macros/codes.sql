{#- Answer labels of both tools mapped to the shared codes of the staging layer. Labels are
    already canonical in raw (the readers validated them); anything else maps to NULL. -#}

{% macro moeite_code(column) -%}
    case {{ column }}
        when 'Heel veel moeite' then 'heel_veel_moeite'
        when 'heelVeelMoeite' then 'heel_veel_moeite'
        when 'Veel moeite' then 'veel_moeite'
        when 'veelMoeite' then 'veel_moeite'
        when 'Neutraal' then 'neutraal'
        when 'neutraal' then 'neutraal'
        when 'Weinig moeite' then 'weinig_moeite'
        when 'weinigMoeite' then 'weinig_moeite'
        when 'Geen moeite' then 'geen_moeite'
        when 'geenMoeite' then 'geen_moeite'
        when 'Weet niet' then 'weet_niet'
        when 'weetNiet' then 'weet_niet'
    end
{%- endmacro %}

{% macro eens_code(column) -%}
    case {{ column }}
        when 'helemaalOneens' then 'helemaal_oneens'
        when 'oneens' then 'oneens'
        when 'neutraal' then 'neutraal'
        when 'eens' then 'eens'
        when 'helemaalEens' then 'helemaal_eens'
        when 'weetNiet' then 'weet_niet'
    end
{%- endmacro %}

{% macro ja_nee_code(column) -%}
    case lower({{ column }})
        when 'ja' then 'ja'
        when 'nee' then 'nee'
        when 'weet niet' then 'weet_niet'
    end
{%- endmacro %}
