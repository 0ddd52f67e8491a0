"""The analysis' Swedish display texts in English, for the English report (`Context.display`):
whole sentences (notes, part-year labels) first, then fragments, then number formats."""

from __future__ import annotations

import re

# Swedish fragments in analysis display texts and their English wording (lang="en" only).
_DISPLAY_EN = (
    ("uppgift saknas", "no data"), ("för få svar", "too few respondents"),
    ("inga elever i målgruppen", "no pupils in the target group"),
    ("ej könsuppdelat", "not split by sex"), (" brott)", " offences)"),
    (" elever)", " pupils)"), (" av ", " of "), ("procentenheter", "percentage points"),
    ("kvot ", "ratio "), ("\u00a0% KI", "\u00a0% CI"), (" till ", " to "),
    ("inga brott under någon av perioderna", "no offences in either period"),
    ("importerad ", "imported "), ("pågår", "ongoing"), ("genomförd", "done"),
    ("försenad", "delayed"), ("ej påbörjad", "not started"),
)
# Whole analysis sentences (notes and part-year labels), translated before the fragments above.
_MONTHS_EN = {"jan": "Jan", "feb": "Feb", "mar": "Mar", "apr": "Apr", "maj": "May", "jun": "Jun",
              "jul": "Jul", "aug": "Aug", "sep": "Sep", "okt": "Oct", "nov": "Nov", "dec": "Dec"}
_SENTENCES_EN = (
    (re.compile(r"intervallet vidgat: åren varierar mer än slumpen ger \(spridning ([\d,.]+) "
                r"gånger Poissons, kvasi-Poisson\)"),
     r"interval widened: the years vary more than chance gives (dispersion \1 times "
     r"Poisson's, quasi-Poisson)"),
    (re.compile(r"länsvärde: kommunernas svar sammanvägda efter antal svarande"),
     "county value: the municipalities' answers weighted by their respondents"),
    (re.compile(r"länsvärde: kommunernas enheter summerade"),
     "county value: the municipalities' units summed"),
    (re.compile(r"länets eget värde enligt källan; kommunernas värden sammanvägs inte till det"),
     "the county's own value from the source; the municipalities' values are not pooled into "
     "it"),
    (re.compile(r"intervall enligt källan \(dess urvalsdesign\)"),
     "interval from the source (its sample design)"),
    (re.compile(r"intervall med effektivt antal svarande"),
     "interval with the effective number of respondents"),
    (re.compile(r"\((\d+) av (\d+) kommuner\)"), r"(\1 of \2 municipalities)"),
    (re.compile(r"(\d+|\.\.) av (\d+) enheter"), r"\1 of \2 units"),
    (re.compile(r"(\d+|\.\.) av (\d+) personal"), r"\1 of \2 staff"),
    (re.compile(r"delår i (\d+) av (\d+) kommuner"), r"part year in \1 of \2 municipalities"),
    (re.compile(r"(\d{4}–\d{4}) sammantaget"), r"\1 combined"),
    (re.compile(r"delår ([^:;()]+): årstakt uppräknad \(antal ÷ andel av året\)"),
     r"part year \1: annual rate scaled up (count ÷ share of the year)"),
    (re.compile(r"delår ([^:;()]+): ingen årstakt \(välj uppräkning för en årstakt\)"),
     r"part year \1: no annual rate (choose annualising for one)"),
    (re.compile(r" och år, uppräknat från "), " a year, annualised from "),
    (re.compile(r"(\S+) brott (.+?) \(delår, ingen årstakt\)"),
     r"\1 offences \2 (part year, no annual rate)"),
    (re.compile(r"delår \(([^)]*)\) jämförs inte med ett helt år"),
     r"part year (\1) is not compared with a whole year"),
    (re.compile(r"jämförs inte: delår"), "not compared: part year"),
    (re.compile(r"summan av (\d+) kommuner"), r"the sum of \1 municipalities"),
    (re.compile(r"(\d+) kommuners svar sammanvägda efter antal svarande"),
     r"the answers of \1 municipalities weighted by their respondents"),
    (re.compile(r"(\S+) brott \(ingen folkmängd för åldersgruppen\)"),
     r"\1 offences (no population for the age group)"),
    (re.compile(r"(\S+) brott \(ingen folkmängd\)"), r"\1 offences (no population)"),
    (re.compile(r"källan täcker inte området"), "the source does not cover the area"),
    (re.compile(r"källan saknar lagrets brottskategorier för området"),
     "the source lacks the layer's offence categories for the area"),
    (re.compile(r"raderna för någon av lagrets brottskategorier saknas för området och perioden "
                r"\(avvisade vid importen eller inte med i filen\)"),
     "the rows of one of the layer's offence categories are missing for the area and period "
     "(rejected at import or not in the file)"),
    (re.compile(r"källan anger inte brottsoffrets kön( för perioden)?"),
     lambda m: "the source does not give the victim's sex" + (" for the period" if m.group(1)
                                                             else "")),
    (re.compile(r"\bdelår\b"), "part year"),
    (re.compile(r"\bdold\b"), "hidden"),
    (re.compile(r"\bfolkmängd: "), "population: "),
    (re.compile(r"(\d{1,2}) (" + "|".join(_MONTHS_EN) + r")\b"),
     lambda m: f"{m.group(1)} {_MONTHS_EN[m.group(2)]}"),
)
_DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d)")
_THOUSANDS = re.compile(r"(?<=\d)\u00a0(?=\d{3}(?!\d))")




def to_english(text: str) -> str:
    for pattern, english in _SENTENCES_EN:
        text = pattern.sub(english, text)
    for sv, en in _DISPLAY_EN:
        text = text.replace(sv, en)
    return _THOUSANDS.sub(",", _DECIMAL_COMMA.sub(".", text))
