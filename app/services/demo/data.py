"""The demo tour as constant tables: films, beneficiaries, collectives, screenings, rates."""

from datetime import date
from typing import NamedTuple

CONDITION = ("A fundraiser for a named frontline mutual-aid group must be organised "
             "at the screening.")

SUBTITLES = ["en", "fi", "nl", "pl", "de", "da", "pt", "sv", "es", "fr", "it"]

FILMS = [
    dict(
        slug="those-who-stay-resistance", part=1, year=2023, runtime_minutes=98,
        title="Those Who Stay, Part 1: Resistance",
        languages=["uk", "ru"], subtitle_languages=SUBTITLES,
        synopsis="Ordinary people organise to resist the invasion: neighbours who became "
                 "medics, drivers, cooks and volunteers in the first months of the war.",
    ),
    dict(
        slug="those-who-stay-behind-the-front", part=2, year=2025, runtime_minutes=84,
        title="Those Who Stay, Part 2: Behind the Front",
        languages=["uk"], subtitle_languages=SUBTITLES,
        synopsis="Civil self-organisation: grassroots networks that shelter displaced "
                 "people and keep villages near the front supplied with food and medicine.",
    ),
    dict(
        slug="those-who-stay-organised-labour", part=3, year=2026, runtime_minutes=91,
        title="Those Who Stay, Part 3: Organised",
        languages=["uk", "en"], subtitle_languages=SUBTITLES[1:],
        synopsis="Political and trade-union activists defend workers' rights at home while "
                 "many of their members serve at the front.",
    ),
]

# The films' synopses in Ukrainian and Italian, beside the English ones above (by film slug).
FILM_SYNOPSES = {
    "those-who-stay-resistance": {
        "uk": "Звичайні люди організовуються, щоб протистояти вторгненню: сусіди, які в перші "
              "місяці війни стали медиками, водіями, кухарями та волонтерами.",
        "it": "Gente comune si organizza per resistere all'invasione: vicini di casa diventati "
              "medici, autisti, cuochi e volontari nei primi mesi della guerra.",
    },
    "those-who-stay-behind-the-front": {
        "uk": "Громадська самоорганізація: низові мережі, що дають прихисток переселенцям "
              "та постачають їжу й ліки селам поблизу фронту.",
        "it": "L'auto-organizzazione civile: reti dal basso che accolgono gli sfollati e "
              "riforniscono di cibo e medicine i villaggi vicini al fronte.",
    },
    "those-who-stay-organised-labour": {
        "uk": "Політичні та профспілкові активісти захищають права працівників удома, поки "
              "багато їхніх членів служать на фронті.",
        "it": "Attivisti politici e sindacali difendono i diritti dei lavoratori in patria "
              "mentre molti dei loro iscritti servono al fronte.",
    },
}

BENEFICIARIES = [
    dict(slug="solidarity-collectives", name="Solidarity Collectives",
         description="An antiauthoritarian volunteer network: tourniquets, medical kits, "
                     "drones and vehicles for volunteers at the front, help for civilians."),
    dict(slug="black-flag-medical", name="Black Flag Medical",
         description="Volunteer medics: medical supplies, evacuation and recovery of the "
                     "injured, first-aid training."),
    dict(slug="operation-solidarity", name="Operation Solidarity",
         description="Vehicles, drones and protective equipment for volunteer units, and "
                     "support for their families."),
    dict(slug="village-food-relay", name="Village Food Relay",
         description="Weekly food and hygiene deliveries to front-line villages that shops "
                     "and aid convoys no longer reach."),
]

# ISO 3166 code -> (currency, subtitle language for screenings there).
COUNTRIES = {
    "FI": ("EUR", "fi"), "NL": ("EUR", "nl"), "PL": ("PLN", "pl"), "DE": ("EUR", "de"),
    "UA": ("UAH", ""), "DK": ("DKK", "da"), "PT": ("EUR", "pt"), "SE": ("SEK", "sv"),
    "ES": ("EUR", "es"), "CA": ("CAD", "en"), "IT": ("EUR", "it"),
}

# (slug, name, home city, country, trusted, public contact)
COLLECTIVES = [
    ("kino-kapina", "Kino Kapina", "Helsinki", "FI", True, "kino-kapina@example.org"),
    ("filmhuis-solidariteit", "Filmhuis Solidariteit", "Amsterdam", "NL", False, None),
    ("kolektyw-ruch", "Kolektyw Filmowy Ruch", "Warsaw", "PL", True, "ruch@example.org"),
    ("klub-wzajemnej-pomocy", "Klub Wzajemnej Pomocy", "Kraków", "PL", False, None),
    ("kiezkino-solidarisch", "Kiezkino Solidarisch", "Berlin", "DE", True, None),
    ("filmkollektiv-ost", "Filmkollektiv Ost", "Leipzig", "DE", False, None),
    ("kinoklub-pidtrymka", "Kinoklub Pidtrymka", "Kyiv", "UA", True, None),
    ("lviv-shelter-film-club", "Lviv Shelter Film Club", "Lviv", "UA", False, None),
    ("biograf-faellesskab", "Biograf Fællesskab", "Copenhagen", "DK", False, None),
    ("cine-solidario-lisboa", "Cine Solidário Lisboa", "Lisbon", "PT", True, None),
    ("folkets-filmklubb", "Folkets Filmklubb", "Stockholm", "SE", True, "filmklubb@example.org"),
    ("ateneu-cineclub", "Cineclub de l'Ateneu", "Barcelona", "ES", True, None),
    ("cine-apoyo-mutuo", "Cine y Apoyo Mutuo", "Madrid", "ES", False, None),
    ("cine-solidarite-montreal", "Ciné Solidarité Montréal", "Montréal", "CA", False, None),
    ("toronto-workers-film-night", "Toronto Workers' Film Night", "Toronto", "CA", True, None),
    ("cineforum-solidale", "Cineforum Solidale", "Milan", "IT", False, None),
    ("circolo-cinema-bologna", "Circolo del Cinema Bologna", "Bologna", "IT", True, None),
]

ORGANISER_COLLECTIVE = "filmhuis-solidariteit"

# (email, display name, site role, collective membership role or None)
USERS = [
    ("organiser@example.org", "Demo Organiser", "organiser", "member"),
    ("collective-admin@example.org", "Demo Collective Admin", "organiser", "admin"),
    ("coordinator@example.org", "Demo Coordinator", "coordinator", None),
    ("admin@example.org", "Demo Admin", "admin", None),
]

# DEMO ONLY, public like the demo password: the two-factor secret of the demo coordinator and
# admin (who must use two-factor authentication), so that `flask demo code EMAIL` can print
# their current code for a person without an authenticator app. Never give it to a real account.
DEMO_TOTP_SECRET = "45MOU5KYOT3RH3M7BKT2WPXELBRASUQK"  # noqa: S105 (public demo value)
DEMO_TWO_FACTOR_EMAILS = ("coordinator@example.org", "admin@example.org")

# Units of each currency per 1 EUR, from a day on; GBP has no rate on purpose (unconverted).
# USD, CHF and JPY come from supporters abroad giving online (JPY has no minor unit).
RATES_PER_EUR = {
    date(2025, 1, 1): {"PLN": "4.2900", "DKK": "7.4590", "SEK": "11.4900", "CAD": "1.4900",
                       "UAH": "43.8000", "USD": "1.0400", "CHF": "0.9400", "JPY": "161.0000"},
    date(2026, 1, 1): {"PLN": "4.2750", "DKK": "7.4600", "SEK": "11.2000", "CAD": "1.4800",
                       "UAH": "45.0000", "USD": "1.0800", "CHF": "0.9300", "JPY": "163.0000"},
}

NOTES = {
    "door": "Donations at the door", "bar": "Bar and kitchen takings",
    "merchandise": "Posters and zines sold", "bank_transfer": "Bank transfers after the screening",
    "online": "Online donations through the collective's page", "other": "Solidarity raffle",
}


class Screening(NamedTuple):
    """One demo screening: where, when (days from today, local time), fundraiser, money."""

    title: str
    part: int
    collective: str
    city: str
    country: str
    days: int
    time: str
    venue: str
    address: str
    visibility: str
    beneficiary: str
    purpose: str
    goal: str
    status: str
    # (amount, channel, state, days after the screening[, currency])
    money: tuple = ()


SC, BFM, OS, VFR = (b["slug"] for b in BENEFICIARIES)
S = Screening
SCREENINGS = [
    S("Premiere night at Lepakko", 1, "kino-kapina", "Helsinki", "FI", -380, "18:30",
      "Lepakko social centre", "Vapaudenkatu 12 B, Helsinki", "city_only", SC,
      "Tourniquets and first-aid kits for volunteer units", "2000.00", "held",
      (("1240.00", "door", "confirmed", 0), ("386.50", "bar", "confirmed", 0),
       ("515.00", "online", "confirmed", 3), ("210.00", "merchandise", "confirmed", 0))),
    S("Resistance in the back room", 1, "filmhuis-solidariteit", "Amsterdam", "NL", -330, "20:00",
      "Filmhuis back room", "Tweede Oosterparkstraat 40, Amsterdam", "city_only", BFM,
      "Medical supplies for evacuation crews", "1500.00", "held",
      (("640.00", "door", "transferred", 0), ("95.00", "merchandise", "transferred", 0),
       ("120.00", "bank_transfer", "collected", 4, "GBP"))),
    S("Pokaz i zbiórka", 1, "kolektyw-ruch", "Warsaw", "PL", -300, "19:00",
      "Kino Społeczne Ruch", "ul. Andersa 5, Warszawa", "public", OS,
      "A pickup truck for a volunteer unit", "20000.00", "held",
      (("3420.00", "door", "confirmed", 0), ("880.00", "bar", "confirmed", 0),
       ("2150.00", "online", "transferred", 5))),
    S("Wieczór solidarności", 1, "klub-wzajemnej-pomocy", "Kraków", "PL", -280, "18:30",
      "Klub Wzajemnej Pomocy", "ul. Długa 31, Kraków", "on_request", SC,
      "Drones for reconnaissance", "", "held",
      (("1560.00", "door", "collected", 0), ("420.00", "online", "collected", 2))),
    S("Kiezkino: Resistance", 1, "kiezkino-solidarisch", "Berlin", "DE", -260, "19:30",
      "Hinterhofkino", "Weserstraße 9, Berlin", "city_only", BFM,
      "Recovery of the injured: rehabilitation equipment", "2500.00", "held",
      (("890.00", "door", "confirmed", 0), ("412.40", "bar", "confirmed", 0),
       ("1300.00", "online", "confirmed", 2))),
    S("Screening for the volunteers", 1, "kinoklub-pidtrymka", "Kyiv", "UA", -240, "17:00",
      "Basement hall", "vul. Sahaidachnoho 20, Kyiv", "city_only", SC,
      "Recovery of injured volunteers", "", "held",
      (("18500.00", "door", "transferred", 0), ("42000.00", "online", "confirmed", 1))),
    S("Film og indsamling", 1, "biograf-faellesskab", "Copenhagen", "DK", -220, "19:00",
      "Folkets Hus Nørrebro", "Griffenfeldsgade 3, København", "public", OS,
      "Drones for volunteer units", "15000.00", "held",
      (("5200.00", "door", "collected", 0), ("1875.00", "bar", "collected", 0),
       ("150.00", "online", "collected", 2, "EUR"))),
    S("Sessão solidária", 1, "cine-solidario-lisboa", "Lisbon", "PT", -200, "21:00",
      "Associação Cultural", "Rua da Penha de França 4, Lisboa", "city_only", VFR,
      "Food deliveries to front-line villages", "", "held",
      (("470.00", "door", "confirmed", 0), ("150.00", "other", "confirmed", 0))),
    S("Filmkväll: Behind the Front", 2, "folkets-filmklubb", "Stockholm", "SE", -180, "18:00",
      "Folkets Hus Södermalm", "Hornsgatan 50, Stockholm", "public", SC,
      "Vehicles for evacuating civilians", "25000.00", "held",
      (("9800.00", "door", "confirmed", 0), ("4500.00", "online", "transferred", 3),
       ("2300.00", "bar", "confirmed", 0))),
    S("Nit de cinema solidari", 2, "ateneu-cineclub", "Barcelona", "ES", -160, "20:00",
      "Ateneu del barri", "Carrer de la Cera 14, Barcelona", "city_only", BFM,
      "Medical supplies for stabilisation points", "", "held",
      (("730.00", "door", "collected", 0), ("512.00", "bar", "collected", 0),
       ("260.00", "other", "collected", 0))),
    S("Cine y apoyo mutuo", 2, "cine-apoyo-mutuo", "Madrid", "ES", -150, "19:30",
      "Centro social", "Calle del Amparo 8, Madrid", "on_request", VFR,
      "Food parcels for villages near the front", "", "held",
      (("380.00", "door", "collected", 0), ("120.00", "merchandise", "collected", 0))),
    S("Projection et collecte", 2, "cine-solidarite-montreal", "Montréal", "CA", -130, "19:00",
      "Salle communautaire", "4200 rue Saint-Denis, Montréal", "public", OS,
      "A van for a volunteer medical team", "5000.00", "held",
      (("1450.00", "door", "transferred", 0), ("2200.00", "online", "confirmed", 2))),
    S("Union hall screening", 2, "toronto-workers-film-night", "Toronto", "CA", -120, "19:00",
      "Union hall", "25 Cecil Street, Toronto", "city_only", SC,
      "Medical kits and drones", "", "held",
      (("980.00", "door", "collected", 0), ("500.00", "bank_transfer", "pledged", 5),
       ("215.00", "merchandise", "collected", 0))),
    S("Proiezione solidale", 2, "cineforum-solidale", "Milan", "IT", -100, "21:00",
      "Circolo di quartiere", "Via dei Transiti 28, Milano", "city_only", BFM,
      "Evacuation of the injured", "", "held",
      (("620.00", "door", "collected", 0), ("340.00", "bar", "collected", 0),
       ("180.00", "online", "pledged", 7))),
    S("Filmhuis on tour: Rotterdam", 2, "filmhuis-solidariteit", "Rotterdam", "NL", -60, "20:00",
      "Buurthuis Oude Noorden", "Zwart Janstraat 70, Rotterdam", "city_only", VFR,
      "Food deliveries to front-line villages", "800.00", "held",
      (("310.00", "door", "collected", 0), ("85.00", "bank_transfer", "collected", 6, "GBP"))),
    S("Кіно для своїх", 2, "lviv-shelter-film-club", "Lviv", "UA", -75, "16:00",
      "Shelter hall", "vul. Franka 61, Lviv", "city_only", SC,
      "Winter gear for volunteers", "", "held",
      (("12400.00", "door", "collected", 0), ("8000.00", "bank_transfer", "transferred", 3))),
    S("Organised: first German screening", 3, "filmkollektiv-ost", "Leipzig", "DE", -45, "19:00",
      "Projektraum", "Eisenbahnstraße 113, Leipzig", "on_request", OS,
      "Vehicles for volunteer medics", "", "held",
      (("455.00", "door", "collected", 0), ("128.50", "bar", "collected", 0))),
    S("Organised: Gdańsk shipyard night", 3, "kolektyw-ruch", "Gdańsk", "PL", -30, "18:00",
      "Sala BHP", "ul. Doki 1, Gdańsk", "city_only", SC,
      "Support for union members serving at the front", "", "held",
      (("2100.00", "door", "collected", 0), ("340.00", "merchandise", "collected", 1))),
    # Held with nothing recorded: dashboards show "fundraiser report missing".
    S("Organised: Helsinki premiere", 3, "kino-kapina", "Helsinki", "FI", -21, "18:30",
      "Lepakko social centre", "Vapaudenkatu 12 B, Helsinki", "city_only", BFM,
      "Medical supplies", "", "held"),
    S("Organised: Kyiv premiere", 3, "kinoklub-pidtrymka", "Kyiv", "UA", 5, "17:00",
      "Basement hall", "vul. Sahaidachnoho 20, Kyiv", "city_only", SC,
      "Drones and vehicles for union volunteers", "", "published",
      (("15000.00", "online", "pledged", 0),)),
    S("Organised: Berlin", 3, "kiezkino-solidarisch", "Berlin", "DE", 9, "19:30",
      "Hinterhofkino", "Weserstraße 9, Berlin", "city_only", OS,
      "Protective equipment for volunteer units", "1500.00", "published"),
    S("Organised: Gothenburg", 3, "folkets-filmklubb", "Gothenburg", "SE", 12, "18:30",
      "Hagabion", "Linnégatan 21, Göteborg", "public", SC,
      "Tourniquets and drones", "", "published"),
    S("Organised: València", 3, "ateneu-cineclub", "Valencia", "ES", 16, "20:00",
      "Casal popular", "Carrer de Sogorb 5, València", "on_request", BFM,
      "Medical supplies", "", "published"),
    S("Resistance: Toronto encore", 1, "toronto-workers-film-night", "Toronto", "CA", 20, "19:00",
      "Public library auditorium", "789 Yonge Street, Toronto", "public", OS,
      "A vehicle for a volunteer unit", "3000.00", "published",
      (("750.00", "bank_transfer", "pledged", 0),)),
    S("Behind the Front: Porto", 2, "cine-solidario-lisboa", "Porto", "PT", 24, "21:30",
      "Cooperativa cultural", "Rua do Heroísmo 20, Porto", "city_only", VFR,
      "Food deliveries to front-line villages", "", "published"),
    S("Organised: Bologna", 3, "circolo-cinema-bologna", "Bologna", "IT", 28, "20:30",
      "Sala del circolo", "Via del Pratello 15, Bologna", "city_only", SC,
      "Medical kits", "", "published"),
    S("Organised: Utrecht", 3, "filmhuis-solidariteit", "Utrecht", "NL", 35, "20:00",
      "Studentenkelder", "Oudegracht 245, Utrecht", "city_only", BFM,
      "Medical supplies for evacuation crews", "1000.00", "submitted"),
    S("Behind the Front: Odense", 2, "biograf-faellesskab", "Odense", "DK", 40, "19:00",
      "Kulturhus", "Farvergården 7, Odense", "on_request", VFR,
      "Food deliveries to front-line villages", "", "submitted"),
    S("Organised: Kraków", 3, "klub-wzajemnej-pomocy", "Kraków", "PL", 50, "18:30",
      "Klub Wzajemnej Pomocy", "ul. Długa 31, Kraków", "city_only", OS,
      "Drones for reconnaissance", "", "draft"),
    S("Resistance: Madrid", 1, "cine-apoyo-mutuo", "Madrid", "ES", 7, "19:30",
      "Librería asociativa", "Calle de Lavapiés 20, Madrid", "city_only", SC,
      "Medical kits", "", "cancelled"),
]

CANCEL_NOTE = ("The venue received threatening calls and withdrew; "
               "looking for a new place with the collective.")
# Hours before the start at which the Berlin venue address becomes public.
RELEASE_HOURS = {"Organised: Berlin": 3}

# Descriptions in Ukrainian and Italian of a couple of upcoming screenings (by title), beside
# the hosts' own text.
SCREENING_DESCRIPTIONS = {
    "Organised: Kyiv premiere": {
        "uk": "Прем'єра третьої частини в Києві, потім розмова з профспілковими волонтерами "
              "та збір коштів.",
        "it": "La prima della terza parte a Kyiv, seguita da un incontro con i volontari "
              "sindacali e da una raccolta fondi.",
    },
    "Organised: Bologna": {
        "uk": "Показ третьої частини в Болоньї, потім обговорення та збір коштів на медичні "
              "аптечки.",
        "it": "Proiezione della terza parte al circolo, seguita da un dibattito e da una "
              "raccolta fondi per kit medici.",
    },
}
