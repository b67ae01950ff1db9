"""Fixed data behind the sample directory: the real Gelderland gemeenten and
regions (from DOMAIN.md) and the lists fictional names are built from."""

from __future__ import annotations

GELDERLAND: list[tuple[str, str, list[tuple[str, str]]]] = [
    ("achterhoek", "Achterhoek", [
        ("0197", "Aalten"), ("1859", "Berkelland"), ("1876", "Bronckhorst"),
        ("0222", "Doetinchem"), ("1955", "Montferland"), ("1586", "Oost Gelre"),
        ("1509", "Oude IJsselstreek"), ("0294", "Winterswijk"),
    ]),
    ("centraal-gelderland", "Centraal Gelderland", [
        ("0202", "Arnhem"), ("0221", "Doesburg"), ("0226", "Duiven"),
        ("1705", "Lingewaard"), ("1734", "Overbetuwe"), ("0274", "Renkum"),
        ("0275", "Rheden"), ("0277", "Rozendaal"), ("0289", "Wageningen"),
        ("0293", "Westervoort"), ("0299", "Zevenaar"),
    ]),
    ("food-valley", "Food Valley", [
        ("0203", "Barneveld"), ("0228", "Ede"), ("0267", "Nijkerk"), ("0279", "Scherpenzeel"),
    ]),
    ("midden-ijssel-oost-veluwe", "Midden-IJssel/Oost-Veluwe", [
        ("0200", "Apeldoorn"), ("0213", "Brummen"), ("0232", "Epe"), ("0244", "Hattem"),
        ("0246", "Heerde"), ("0262", "Lochem"), ("0285", "Voorst"), ("0301", "Zutphen"),
    ]),
    ("noord-veluwe", "Noord-Veluwe", [
        ("0230", "Elburg"), ("0233", "Ermelo"), ("0243", "Harderwijk"),
        ("0302", "Nunspeet"), ("0269", "Oldebroek"), ("0273", "Putten"),
    ]),
    ("rijk-van-nijmegen", "Rijk van Nijmegen", [
        ("1945", "Berg en Dal"), ("0209", "Beuningen"), ("0225", "Druten"),
        ("0252", "Heumen"), ("0268", "Nijmegen"), ("0296", "Wijchen"),
    ]),
    ("rivierenland", "Rivierenland", [
        ("0214", "Buren"), ("0216", "Culemborg"), ("0263", "Maasdriel"),
        ("1740", "Neder-Betuwe"), ("0281", "Tiel"), ("1960", "West Betuwe"),
        ("0668", "West Maas en Waal"), ("0297", "Zaltbommel"),
    ]),
]

# Former municipalities and common short forms people type.
ALIASES: dict[str, list[str]] = {
    "Apeldoorn": ["Ugchelen", "Beekbergen"],
    "Arnhem": ["Schuytgraaf"],
    "Barneveld": ["Voorthuizen", "Kootwijkerbroek"],
    "Ede": ["Bennekom", "Lunteren", "Otterlo", "Harskamp", "Wekerom", "Ederveen"],
    "Nijkerk": ["Hoevelaken"],
    "Nijmegen": ["Lent"],
    "Berg en Dal": ["Groesbeek", "Ubbergen"],
    "Berkelland": ["Borculo", "Eibergen"],
    "Bronckhorst": ["Vorden", "Hengelo (Gld)"],
    "Lingewaard": ["Bemmel", "Huissen"],
    "Lochem": ["Gorssel"],
    "Montferland": ["Didam", "Bergh"],
    "Neder-Betuwe": ["Kesteren", "Dodewaard"],
    "Oost Gelre": ["Groenlo", "Lichtenvoorde"],
    "Oude IJsselstreek": ["Gendringen", "Wisch"],
    "Overbetuwe": ["Elst"],
    "West Betuwe": ["Geldermalsen", "Lingewaal", "Neerijnen"],
    "West Maas en Waal": ["WMW"],
    "Zevenaar": ["Rijnwaarden"],
}

# Lokaal team names: (name template, e-mail domain prefix).
LT_STYLES: list[tuple[str, str]] = [
    ("Sociaal Team {}", "sociaalteam"),
    ("Wijkteam {}", "wijkteam"),
    ("Jeugd- en Gezinsteam {}", "jgt"),
    ("Buurtteam {}", "buurtteam"),
    ("Sociaal Wijkteam {}", "sociaalwijkteam"),
    ("Toegangsteam Jeugd {}", "toegangjeugd"),
    ("Gebiedsteam {}", "gebiedsteam"),
    ("Centrum voor Jeugd en Gezin {}", "cjg"),
]
LT_STYLE_OF = {"Ede": 0, "Nijmegen": 1, "Apeldoorn": 2, "Arnhem": 3}
# Medewerker pairs (koppelgenoten) per lokaal team; one pair elsewhere.
LT_PAIRS = {"Arnhem": 3, "Nijmegen": 3, "Apeldoorn": 2, "Ede": 2, "Doetinchem": 2}

ZORGAANBIEDERS = [
    "Kompas Jeugdzorg", "Windroos Gezinshulp", "De Vuurtoren Jeugdhulp",
    "Stapsteen Ambulante Zorg", "Boomgaard Jeugd & Gezin", "Klaproos Jeugdzorg",
    "Wilgenhof Orthopedagogisch Centrum", "Zandloper Gezinsbegeleiding",
    "De Waterlelie Jeugdhulp", "Rivierduin Zorg", "Lantaarn Jeugd & Opvoeding",
    "Heidebloem Gezinshuizen", "Zonnedauw Jeugdzorg", "De Speelwei Jeugdhulp",
    "Regenboogbrug Gezinszorg", "Vlierbes Ambulant", "Eikelhof Jeugdbehandeling",
    "De Schakelaar Jeugd", "Kievit Gezinsondersteuning", "Hoeksteen Jeugdhulp",
]
ZA_PER_REGION = [3, 3, 2, 3, 2, 3, 2]

# (key, name, serves these region codes, e-mail domain)
VEILIG_THUIS = [
    ("vt-noord-oost-gelderland", "Veilig Thuis Noord- en Oost-Gelderland",
     ["achterhoek", "midden-ijssel-oost-veluwe", "noord-veluwe"], "vtnog.example.org"),
    ("vt-gelderland-midden", "Veilig Thuis Gelderland-Midden",
     ["centraal-gelderland", "food-valley"], "vtgm.example.org"),
    ("vt-gelderland-zuid", "Veilig Thuis Gelderland-Zuid",
     ["rijk-van-nijmegen", "rivierenland"], "vtgz.example.org"),
]

# Further GIs: (key, name, e-mail domain, regions with a team)
OTHER_GIS = [
    ("wss", "William Schrikker Stichting", "wss.example.org",
     ["centraal-gelderland", "midden-ijssel-oost-veluwe", "rijk-van-nijmegen"]),
    ("ldh-jr", "Leger des Heils Jeugdbescherming & Reclassering", "ldh-jr.example.org",
     ["achterhoek", "food-valley", "rivierenland"]),
]

# --- Names -----------------------------------------------------------------------

FIRST_NAMES = [
    "Anouk", "Bram", "Carla", "Daan", "Eva", "Femke", "Gert", "Hanneke", "Ilse", "Jeroen",
    "Karin", "Lars", "Marieke", "Niels", "Olga", "Pieter", "Quinten", "Roos", "Sander",
    "Tess", "Ursula", "Vera", "Wouter", "Yvonne", "Zoë", "Annemieke", "Bas", "Charlotte",
    "Dennis", "Esther", "Frank", "Gerda", "Hans", "Iris", "Joost", "Kim", "Lieke", "Mark",
    "Nadia", "Ozan", "Petra", "Rik", "Sanne", "Thijs", "Wendy", "Youssef", "Astrid",
    "Bart", "Daniëlle", "Emre", "Fleur", "Guus", "Hester", "Inge", "Jasper", "Kees",
    "Linda", "Maarten", "Nicole", "Rob", "Saskia", "Tim", "Vincent", "Willemijn", "Fatima",
    "Monique", "Sevda", "Koen", "Lotte", "Ruben",
]
SURNAMES = [
    "Jansen", "de Vries", "Smit", "Bakker", "Visser", "Peters", "de Jong", "van den Berg",
    "van Dijk", "Janssen", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Hendriks",
    "van Leeuwen", "Dekker", "Brouwer", "de Wit", "Dijkstra", "Smits", "de Graaf",
    "van der Meer", "van der Linden", "Kok", "Jacobs", "de Haan", "Vermeulen", "van den Heuvel",
    "van der Veen", "van den Broek", "de Bruijn", "de Bruin", "van der Heijden", "Schouten",
    "van Beek", "Willems", "van Vliet", "van de Ven", "Hoekstra", "Maas", "Verhoeven",
    "Koster", "van Dam", "van der Wal", "Prins", "Blom", "Huisman", "Peeters", "de Lange",
    "Kuipers", "van Wijk", "Postma", "Kramer", "van 't Hof", "Yilmaz", "El Amrani",
    "Hermans", "Wolters", "Gerritsen", "Lammers", "Evers", "Timmermans", "Arslan",
]

# People the demo and the docs refer to by name: (e-mail, name).
