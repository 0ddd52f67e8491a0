"""Interface texts in Swedish (default) and English: t(key, lang)."""

from __future__ import annotations

LANGS = ("sv", "en")

TEXTS: dict[str, tuple[str, str]] = {
    "app_title": ("Lägesbild våld och trygghet", "Situation picture: violence and safety"),
    "language": ("Språk", "Language"),
    "choose": ("Välj …", "Choose …"),
    "workspace": ("Arbetsyta", "Workspace"),
    "page_map": ("Karta", "Map"),
    "page_pyramid": ("Våldspyramid", "Violence pyramid"),
    "page_compare": ("Jämförelse", "Comparison"),
    "page_coverage": ("Insatser", "Prevention"),
    "page_data": ("Data", "Data"),
    "page_report": ("Rapport", "Report"),
    "page_assessment": ("Lägesbild", "Situation picture"),
    "page_not_found": ("Adressen {path} leder inte till någon sida; kartan visas i stället.",
                       "The address {path} leads to no page; the map is shown instead."),
    "assessment_help": ("Utkasten är problem som siffrorna visar utöver slumpen, med sitt "
                        "underlag. Bocka i dem som ska med, ändra rubrik och ordning, lägg till "
                        "egna iakttagelser (polisens och kommunens egen kunskap) som nya rader "
                        "och spara: listan öppnar rapporten.",
                        "The drafts are problems the figures show beyond chance, with their "
                        "evidence. Tick those to keep, change title and order, add your own "
                        "observations (the police's and the municipality's knowledge) as new "
                        "rows and save: the list opens the report."),
    "assessment_none": ("Siffrorna visar inget problem utöver slumpen för området och perioden. "
                        "Lägg till egna iakttagelser som nya rader.",
                        "The figures show no problem beyond chance for the area and period. "
                        "Add your own observations as new rows."),
    "follow_up_title": ("Uppföljning av åtgärderna", "Follow-up of the actions"),
    "follow_up_none": ("Inga åtgärder med indikatorer gäller området. Importera åtgärdsplanen "
                       "(filtyp Åtgärder, med kolumnerna Indikatorer, Utgångsläge och Mål).",
                       "No actions with indicators concern the area. Import the action plan "
                       "(file type actions, with the columns Indikatorer, Utgångsläge and Mål)."),
    "follow_up_note": ("Utgångsläget och det senaste värdet för området, totalt; förändringen "
                       "prövad mot slumpen; dolda uppgifter ger ingen bedömning.",
                       "The baseline and the latest value for the area, total; the change "
                       "tested against chance; hidden figures give no verdict."),
    "assessment_take": ("Med", "Keep"),
    "assessment_order": ("Ordning", "Order"),
    "assessment_problem": ("Problem", "Problem"),
    "assessment_kind": ("Typ", "Kind"),
    "assessment_evidence": ("Underlag", "Evidence"),
    "assessment_causes": ("Orsaksanalys per problem", "Cause analysis per problem"),
    "assessment_saved": ("Sparat: {n} prioriterade problem.", "Saved: {n} prioritised problems."),
    "audience": ("Mottagare", "Audience"),
    "audience_wide": ("Bred (utöver polisen)", "Wide (beyond the police)"),
    "audience_police": ("Polisen", "The police"),
    "report_notes": ("Analysanteckningar", "Analysis notes"),
    "report_goals": ("Lokala mål per fokusområde", "Local goals per focus area"),
    "save": ("Spara", "Save"),
    "saved": ("Sparat i arbetsytan.", "Saved in the workspace."),
    "read_only_area": ("Din roll kan läsa men inte ändra det här områdets text.",
                       "Your role can read but not change this area's text."),
    "audit_failed": ("Rapporten skapades inte: händelsen kunde inte loggas ({error}).",
                     "The report was not made: the event could not be logged ({error})."),
    "report_make": ("Skapa rapporten", "Make the report"),
    "format": ("Format", "Format"),
    "report_snapshot": ("Frys underlaget först (ögonblicksbild med kontrollsumma)",
                        "Freeze the data first (snapshot with checksum)"),
    "report_build": ("Skapa", "Make"),
    "report_building": ("Skapar rapporten …", "Making the report …"),
    "download": ("Ladda ned", "Download"),
    "download_refused": ("Nedladdningen kan inte skyddas på den här servern, så den visas inte. "
                         "Starta appen med `lagesbild serve` och kontrollera "
                         "Streamlit-versionen mot requirements.txt.",
                         "The download cannot be protected on this server, so it is not shown. "
                         "Start the app with `lagesbild serve` and check the Streamlit version "
                         "against requirements.txt."),
    "snapshot": ("Ögonblicksbild", "Snapshot"),
    "unprotected_copy": ("En ögonblicksbild (och en export) är en kopia av arbetsytans egna, "
                         "oskyddade uppgifter: bara för arbetsytans ägare, inte för spridning.",
                         "A snapshot (and an export) is a copy of the workspace's own, "
                         "unprotected data: for the workspace's owners only, not for "
                         "publication."),
    "snapshots": ("Ögonblicksbilder (frysta underlag)", "Snapshots (frozen data)"),
    "no_snapshots": ("Inga ögonblicksbilder ännu: markera 'Frys underlaget först' när du skapar "
                     "rapporten.", "No snapshots yet: tick 'Freeze the data first' when you "
                     "make the report."),
    "created": ("Skapad", "Created"),
    "title": ("Titel", "Title"),
    "checksum": ("Kontrollsumma", "Checksum"),
    "compare_with": ("Jämför nuläget med", "Compare today with"),
    "what_changed": ("Vad har ändrats?", "What has changed?"),
    "nothing_changed": ("Inget har ändrats sedan dess.", "Nothing has changed since."),
    "layer": ("Kartlager", "Map layer"),
    "view": ("Visning", "View"),
    "coverage_need": ("Täckning mot behov", "Coverage versus need"),
    "need_from": ("Behov mäts med", "Need measured by"),
    "need_pick": ("Välj minst ett lager som mäter behov.", "Pick at least one layer measuring need."),
    "programme_pick": ("Välj minst ett program.", "Choose at least one programme."),
    "coverage_bands": ("Gränser för låg, medel och hög täckning",
                       "Limits for low, medium and high coverage"),
    "coverage_low": ("Medel från (% av eleverna)", "Medium from (% of pupils)"),
    "coverage_high": ("Hög från (% av eleverna)", "High from (% of pupils)"),
    "coverage_bands_order": ("Gränsen för medel ska vara lägre än gränsen för hög; de tidigare "
                             "gränserna gäller.", "The limit for medium must be below the limit "
                             "for high; the earlier limits apply."),
    "need_pct": ("Behov (percentil i länet)", "Need (percentile in the county)"),
    "coverage_pct": ("Täckning", "Coverage"),
    "need_note": ("Behov = kommunens genomsnittliga percentil på de valda lagren (dolda värden "
                  "används inte); täckning = andel elever i målgruppen som nås. Prioritet 1 har "
                  "störst behov minus täckning.",
                  "Need = the kommun's mean percentile on the chosen layers (hidden values are "
                  "not used); coverage = share of target pupils reached. Priority 1 has the "
                  "largest need minus coverage."),
    "dark_figure": ("Mörkertal: anmälda brott jämfört med enkätens utsatta",
                    "Dark figure: reported offences compared with the survey's victims"),
    "dark_figure_ratio": ("Anmälda brott per uppskattad utsatt person",
                          "Reported offences per estimated victim"),
    "release_pending": ("Röjandeskyddet för {period} granskas i bakgrunden.",
                        "The disclosure protection of {period} is being checked in the background."),
    "release_passed": ("Röjandeskyddet för {period} är granskat: ingen dold uppgift kan ringas in.",
                       "The disclosure protection of {period} is checked: no hidden figure can "
                       "be narrowed down."),
    "release_refused": ("Siffrorna för {period} visas inte: granskningen av röjandeskyddet hittade "
                        "{n} dolda uppgifter som kan ringas in. Kör 'lagesbild audit' och "
                        "rapportera felet.",
                        "The figures of {period} are not shown: the disclosure check found {n} "
                        "hidden figures that can be narrowed down. Run 'lagesbild audit' and "
                        "report the bug."),
    "release_off": ("Röjandeskyddet granskas inte i appen (LAGESBILD_APP_AUDIT=off); "
                    "rapporten och 'lagesbild audit' granskar det.",
                    "The app does not check the disclosure protection (LAGESBILD_APP_AUDIT=off); "
                    "the report and 'lagesbild audit' do."),
    "release_unchecked": ("Siffrorna för {period} visas inte: granskningen av röjandeskyddet "
                          "kunde inte göras klart. Kör 'lagesbild audit' och rapportera felet.",
                          "The figures of {period} are not shown: the disclosure check could "
                          "not be completed. Run 'lagesbild audit' and report the bug."),
    "dark_figure_caveats": ("Vad kvoten inte säger", "What the ratio does not say"),
    "dark_figure_hidden": ("\"..\": kvoten visas inte där enkätandelen eller antalet anmälda brott "
                           "är dolt för att skydda enskilda, eller där svaren är för få.",
                           "\"..\": no ratio where the survey share or the reported count is "
                           "hidden to protect individuals, or where too few answered."),
    "band": ("Länets mittersta hälft", "County's middle half"),
    "band_all": ("Kommunernas mittersta hälft", "Municipalities' middle half"),
    "county_choice": ("Län", "County"),
    "grade_choice": ("Årskurs", "School year"),
    "all_grades": ("Alla årskurser", "All school years"),
    "grade_help": ("Enkäten har svar per årskurs: en årskurs i taget, aldrig blandade.",
                   "The survey has answers per school year: one at a time, never mixed."),
    "county_note": ("Länsvärdet", "The county value"),
    "all_counties": ("Alla län (hela arbetsytan)", "Every county (the whole workspace)"),
    "similar": ("Liknande kommuner", "Similar municipalities"),
    "similar_on": ("Jämför på", "Compare on"),
    "distance": ("Avstånd", "Distance"),
    "over_time": ("Över tid, kommun för kommun", "Over time, kommun by kommun"),
    "over_time_note": ("Skuggat: 95 % konfidensintervall. Dolda perioder saknas i kurvan.",
                       "Shaded: 95% confidence interval. Hidden periods are left out."),
    "no_view_data": ("Lagret saknar data för den här visningen (förändring kräver två perioder, "
                     "3-årsmedel tre år i följd med folkmängd).",
                     "No data for this view (change needs two periods, a 3-year mean three "
                     "consecutive years with population)."),
    "period": ("Period", "Period"),
    "sex": ("Kön", "Sex"),
    "sex_K": ("Kvinnor", "Women"),
    "sex_M": ("Män", "Men"),
    "sex_T": ("Totalt", "Total"),
    "sex_total_only": ("Lagret är inte uppdelat på kvinnor och män för perioden: bara totalt "
                       "finns.", "The layer is not split by women and men for the period: "
                       "only the total exists."),
    "no_chart_values": ("Ingen kommun har ett visat värde för valet (uppgift saknas eller dold): "
                        "inget diagram.", "No municipality has a shown value for the choice "
                        "(data missing or hidden): no chart."),
    "area": ("Område", "Area"),
    "source": ("Källa", "Source"),
    "source_files": ("Filer i arbetsytan (se sidan Data):  \n{files}",
                     "Files in the workspace (see the Data page):  \n{files}"),
    "ci": ("95 % konfidensintervall", "95% confidence interval"),
    "no_data": ("Uppgift saknas eller dold", "No data or suppressed"),
    "legend": ("Teckenförklaring", "Legend"),
    "show_sites": ("Visa skolor och fritidsgårdar", "Show schools and youth centres"),
    "site_status": ("Programstatus", "Programme status"),
    "status_genomförs": ("genomförs", "running"),
    "status_planerad": ("planerad", "planned"),
    "status_avslutad": ("avslutad", "ended"),
    "status_ej startad": ("ej startad", "not started"),
    "status_inget program": ("inget program", "no programme"),
    "fdr": ("Justera för många test (FDR)", "Adjust for many tests (FDR)"),
    "part_years": ("Delår i polisens utdrag: {years}. Där visas antal brott men ingen "
                   "årstakt, och året jämförs inte med hela år.",
                   "Part years in the police extracts: {years}. They show counts of offences "
                   "but no annual rate, and are not compared with whole years."),
    "annualise": ("Räkna om delår till årstakt", "Annualise part years"),
    "annualise_help": ("Takten per år räknas på den del av året utdragen täcker (antal ÷ "
                       "folkmängd × andel av året) och märks 'uppräknat'. Årstider skiljer "
                       "sig: ett kvartal räknat som ett år kan visa för högt eller för lågt.",
                       "The yearly rate is computed over the part of the year the extracts "
                       "cover (count ÷ population × share of the year) and labelled "
                       "'annualised'. Seasons differ: a quarter taken for a year may read too "
                       "high or too low."),
    "pyramid_part_year": ("Polisens utdrag täcker bara {days} {period}: antalen gäller de "
                          "dagarna, inte hela året.",
                          "The police extracts cover only {days} {period}: the counts are for "
                          "those days, not the whole year."),
    "events_title": ("Polisens händelsenotiser {year}: {n} (inte brottsstatistik)",
                     "The police's event notices {year}: {n} (not crime statistics)"),
    "event_type": ("Typ av händelse", "Type of event"),
    "event_count": ("Notiser", "Notices"),
    "period_part": ("{period} (delår {days})", "{period} (part year {days})"),
    "fdr_help": ("Benjamini–Hochbergs gräns för falska upptäckter per nivå i stället för ett "
                 "test per område: färre områden flaggas, och högst 10 % (5 %, 1 %) av de "
                 "flaggade väntas vara slump.",
                 "Benjamini–Hochberg's false-discovery-rate cut-off per level instead of one "
                 "test per area: fewer areas are flagged, and at most 10% (5%, 1%) of those "
                 "flagged are expected to be chance."),
    "click_hint": ("Klicka på en kommun för detaljer.", "Click a municipality for details."),
    "detail": ("Detaljer", "Details"),
    "area_level": ("Områdesnivå", "Area level"),
    "national_value": ("Riket", "Sweden"),
    "kommuner": ("Kommuner", "Municipalities"),
    "kommun": ("Kommun", "Municipality"),
    "small_caveat": (
        "Tal per 1 000 invånare i områden med få invånare: ett par brott flyttar talet mycket, "
        "så läs intervallen. Brott utan läge på nivån räknas bara i kommunen.",
        "Rates per 1,000 inhabitants in areas with few inhabitants: a couple of offences move "
        "the rate a lot, so read the intervals. Offences without a position at this level "
        "count only in the kommun."),
    "small_table": ("Områdena, högst först", "The areas, highest first"),
    "all_kommuner": ("Alla kommuner", "All kommuner"),
    "small_all_caveat": (
        "Varje kommuns områden skyddas som en egen tabell (dolda områden visas utan värde) och "
        "utjämnade tal dras mot den egna kommunens tal. Där folkmängden är mycket liten går "
        "områdenas tal inte att jämföra med varandra, inte heller över kommungränser.",
        "Each kommun's areas are protected as a table of their own (hidden areas are shown "
        "without a value) and smoothed rates are pulled toward the area's own kommun. Where "
        "populations are tiny, the areas' rates are not comparable with each other, nor across "
        "kommun borders."),
    "small_none": ("Lagret har inga uppgifter per område för den här nivån.",
                   "The layer has no figures per area at this level."),
    "overview": ("Alla lager, senaste period med uppgifter för de flesta kommuner, totalt",
                 "All layers, latest period with data for most municipalities, total"),
    "county": ("Länet", "County"),
    "count": ("Antal", "Count"),
    "rate": ("Per 100 000 inv.", "Per 100,000 inhabitants"),
    "value": ("Värde", "Value"),
    "respondents": ("Antal svarande", "Respondents"),
    "suppression_note": (
        "Dolda uppgifter visas som \"..\": antal 1–{last} och andra uppgifter som annars kunde "
        "räknas fram eller ringas in ur de visade siffrorna.",
        "Hidden figures are shown as \"..\": counts 1–{last} and other figures that could "
        "otherwise be worked out or narrowed down from the figures shown."),
    "pyramid_source": ("Källa för nivå 2–3", "Source for levels 2–3"),
    "src_counts": ("Anmälda brott (Brå-tabell)", "Reported offences (Brå table)"),
    "src_incidents": ("Polisens utdrag", "Police extract"),
    "outside": ("Utanför pyramiden", "Outside the pyramid"),
    "age_title": ("Efter ålder", "By age"),
    "age_group": ("Åldersgrupp", "Age group"),
    "age_unknown": ("okänd ålder", "unknown age"),
    "age_all": ("alla åldrar", "all ages"),
    "note_word": ("Anmärkning", "Note"),
    "age_pick_incidents": ("Åldersgrupper finns i polisens utdrag: välj den källan ovan.",
                           "Age groups come from the police extract: choose that source above."),
    "age_none": ("Utdragets brott {period} saknar ålder.",
                 "The extract's offences of {period} carry no age."),
    "age_caption": (
        "Brott i polisens utdrag efter målsägandes ålder, per 100 000 invånare i "
        "åldersgruppen (SCB). \"okänd ålder\": åldern saknas i utdraget; med den raden summerar "
        "grupperna till \"alla åldrar\", lagrets värde i pyramiden och på kartan. Skydd: "
        "åldersgrupperna skyddas tillsammans, kvinnor + män inom totalt och kommunerna inom "
        "länet; en cell döljs också när den annars kunde räknas fram ur summan för alla "
        "åldrar eller ur kartans värde.",
        "Offences in the police extract by the victim's age, per 100,000 inhabitants of the "
        "age group (SCB). \"unknown age\": the extract lacks the age; with that row the groups "
        "add up to \"all ages\", the layer's value in the pyramid and on the map. Protection: "
        "the age groups are protected together, women + men within the total and the "
        "municipalities within the county; a cell is also hidden where it could otherwise be "
        "worked out from the all-ages total or the map's value."),
    "age_pick_counts": ("Åldersgrupper finns i tabellen över anmälda brott: välj den källan "
                        "ovan.", "Age groups come from the reported-offences table: choose "
                        "that source above."),
    "age_none_counts": ("Tabellen över anmälda brott {period} saknar ålder.",
                        "The reported-offences table of {period} carries no age."),
    "age_caption_counts": (
        "Anmälda brott (Brå-tabell) efter brottsoffrets ålder, per 100 000 invånare i "
        "åldersgruppen (SCB). \"okänd ålder\": den del av lagrets antal som tabellens "
        "åldersrader inte anger; med den raden summerar grupperna till \"alla åldrar\", "
        "lagrets värde i pyramiden och på kartan. Skyddet är detsamma som för utdraget.",
        "Reported offences (Brå table) by the victim's age, per 100,000 inhabitants of the age "
        "group (SCB). \"unknown age\": the part of the layer's count the table's age rows do "
        "not give; with that row the groups add up to \"all ages\", the layer's value in the "
        "pyramid and on the map. Protected as the extract's table is."),
    "age_grades_title": ("Enkäter efter årskurs/ålder", "Surveys by school grade/age"),
    "age_grades_caption": (
        "Andel per årskurs eller åldersgrupp ur enkäten, med Wilsonintervall och antal "
        "svarande (n). Dold (..) när för få svarat eller när andelen annars kunde räknas fram "
        "ur totalen (grupperna skyddas tillsammans, kvinnor + män inom totalt).",
        "Share per school grade or age group from the survey, with Wilson interval and number "
        "of respondents (n). Hidden (..) where too few answered or where the share could "
        "otherwise be worked out from the total (the groups are protected together, women + "
        "men within the total)."),
    "pooled_toggle": ("3 år sammantaget", "3 years combined"),
    "pooled_period": ("{span} sammantaget", "{span} combined"),
    "pooled_help": (
        "Enkätens tre år fram till vald period vägs samman (alla ja-svar delat med alla "
        "svarande), så att kvinnor och män i små kommuner kan visas där enskilda år är dolda.",
        "The survey's three years up to the chosen period are combined (all yes answers over "
        "all respondents), so that women and men in small municipalities can be shown where "
        "single years are hidden."),
    "pooled_none": ("Enkäten saknar tre år i följd: ingen sammanvägning.",
                    "The survey lacks three consecutive years: nothing to combine."),
    "pooled_note": (
        "{span} sammantaget: tre enkätår sammanvägda; skyddade som enskilda år och granskade "
        "tillsammans med dem, så att inget dolt år kan räknas fram. Inget rikstal sammanvägs.",
        "{span} combined: three survey years pooled; protected as single years and audited "
        "together with them, so that no hidden year can be worked out. No national figure is "
        "pooled."),
    "pooled_withdrawn": (
        "Sammanvägningen visas inte för {names}: där skulle den göra det möjligt att räkna fram "
        "ett dolt enskilt år (uppgift saknas).",
        "The combined figure is not shown for {names}: there it would let a hidden single year "
        "be worked out (data missing)."),
    "survey_items": ("Enkätindikatorer", "Survey indicators"),
    "no_survey": ("Inga enkätdata för nivån och perioden.", "No survey data for this level and period."),
    "indicator": ("Indikator", "Indicator"),
    "county_value": ("Länets värde", "County value"),
    "median": ("Median av kommunerna", "Median of the municipalities"),
    "programme": ("Program", "Programme"),
    "term": ("Termin", "Term"),
    "actions": ("Åtgärder per fokusområde", "Actions by focus area"),
    "coverage_table": ("Täckning per kommun", "Coverage by municipality"),
    # Insatser: trainings of staff (ui.trainings_section)
    "trainings": ("Utbildningar", "Trainings"),
    "trainings_none": ("Arbetsytan har inga utbildningar av personal. Importera en fil av typen "
                       "'Utbildningar av personal' på sidan Data.",
                       "The workspace has no trainings of staff. Import a file of the kind "
                       "'Trainings of staff' on the Data page."),
    "training": ("Utbildning", "Training"),
    "unit_kind": ("Verksamhet", "Kind of unit"),
    "year": ("År", "Year"),
    "all_years": ("Alla år", "All years"),
    "training_occasions": ("Tillfällen", "Occasions"),
    "training_participants": ("Deltagare", "Participants"),
    "training_hours": ("Timmar totalt", "Hours in all"),
    "training_staff": ("Anställda", "Staff"),
    "training_share": ("Andel av personalen, högst (%)", "Share of staff, at most (%)"),
    "training_totals": ("Alla utbildningar per kommun och verksamhet",
                        "All trainings by municipality and kind of unit"),
    "datasets": ("Dataset i arbetsytan", "Datasets in the workspace"),
    "no_workspace": ("Ingen arbetsyta hittades. Skapa demo-arbetsytan:",
                     "No workspace found. Build the demo workspace:"),
    "build_demo": ("Bygg demo-arbetsytan", "Build the demo workspace"),
    "workspace_unreadable": (
        "Arbetsytan {name} går inte att läsa: filen är skadad eller ingen lägesbild-arbetsyta.",
        "The workspace {name} cannot be read: the file is damaged or not a lägesbild workspace."),
    "workspace_unreadable_fix": (
        "Gör så här: återställ arbetsytan från en export (lagesbild restore --workspace {path} "
        "MAPP) eller importera filerna på nytt till en ny arbetsyta, och starta sedan om appen. "
        "Den skadade filen ändras inte.",
        "What to do: restore the workspace from an export (lagesbild restore --workspace {path} "
        "FOLDER) or import the files again into a new workspace, then restart the app. The "
        "damaged file is not changed."),
    "app_error": ("Sidan kan inte visas.", "The page cannot be shown."),
    "error_detail": ("Teknisk orsak (för den som sköter servern)",
                     "Technical cause (for whoever runs the server)"),
    "period_label": ("Period", "Period"),
    "interval": ("Intervall", "Interval"),
    "rows": ("Rader", "Rows"),
    "imported": ("Importerad", "Imported"),
    "level_word": ("Nivå", "Level"),
    "indicator_word": ("Indikator", "Indicator"),
    "grade_or_age": ("Årskurs/ålder", "Grade/age"),
    "category": ("Brottskategori", "Offence category"),
    "total_row": ("alla", "all"),
    "not_split": ("ej könsuppdelat", "not split by sex"),
    "demo_notice": ("Demo: syntetiska data med realistiska storlekar, inte verklig statistik.",
                    "Demo: synthetic data with realistic magnitudes, not real statistics."),
}


def t(key: str, lang: str = "sv", **fmt: object) -> str:
    sv, en = TEXTS[key]
    text = en if lang == "en" else sv
    return text.format(**fmt) if fmt else text


def sex_label(sex: str, lang: str = "sv") -> str:
    return t(f"sex_{sex}", lang)
