"""Addresses, GP practices and phone numbers for synthetic people.

Outward codes are real English districts with their post towns; inward codes
and street numbers are invented. Phone numbers come from Ofcom's ranges kept
for drama (never allocated to a real line).
"""

import random

OUTWARDS = (
    ("LS6", "Leeds"), ("LS11", "Leeds"), ("LS8", "Leeds"), ("BD8", "Bradford"),
    ("BD3", "Bradford"), ("HD1", "Huddersfield"), ("WF1", "Wakefield"), ("YO10", "York"),
    ("HU3", "Hull"), ("S2", "Sheffield"), ("S11", "Sheffield"), ("DN1", "Doncaster"),
    ("M14", "Manchester"), ("M8", "Manchester"), ("OL1", "Oldham"), ("BL1", "Bolton"),
    ("L8", "Liverpool"), ("L4", "Liverpool"), ("PR1", "Preston"), ("BB1", "Blackburn"),
    ("NE4", "Newcastle upon Tyne"), ("SR1", "Sunderland"), ("TS1", "Middlesbrough"),
    ("B11", "Birmingham"), ("B23", "Birmingham"), ("CV1", "Coventry"), ("WV1", "Wolverhampton"),
    ("LE2", "Leicester"), ("NG7", "Nottingham"), ("DE1", "Derby"), ("ST4", "Stoke-on-Trent"),
    ("NR2", "Norwich"), ("CB1", "Cambridge"), ("IP4", "Ipswich"), ("LU1", "Luton"),
    ("E1", "London"), ("E17", "London"), ("N15", "London"), ("SE15", "London"),
    ("SW9", "London"), ("NW10", "London"), ("W12", "London"), ("CR0", "Croydon"),
    ("BR1", "Bromley"), ("RM1", "Romford"), ("HA0", "Wembley"), ("ME7", "Gillingham"),
    ("CT1", "Canterbury"), ("BN2", "Brighton"), ("PO1", "Portsmouth"), ("SO14", "Southampton"),
    ("RG1", "Reading"), ("OX4", "Oxford"), ("MK9", "Milton Keynes"), ("BS5", "Bristol"),
    ("GL1", "Gloucester"), ("EX4", "Exeter"), ("PL1", "Plymouth"), ("TR1", "Truro"),
    ("BA1", "Bath"), ("SN1", "Swindon"), ("CA1", "Carlisle"), ("LA1", "Lancaster"),
)  # fmt: skip
STREETS = (
    "High Street", "Station Road", "Church Lane", "Victoria Road", "Green Lane", "Manor Road",
    "Park Avenue", "Queen Street", "Mill Lane", "Kings Road", "New Road", "Grange Road",
    "Windsor Close", "Alexandra Terrace", "Springfield Drive", "Chapel Street", "The Crescent",
    "Meadow Way", "Oak Tree Court", "St Mary's Road", "Albert Street", "Brook Lane",
)  # fmt: skip
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
NO_FIXED_ABODE = "ZZ99 3VZ"
# Ofcom drama ranges: 01632 960xxx, 0113 496 0xxx ... and 07700 900xxx.
LANDLINE_PREFIXES = ("01134960", "01144960", "01154960", "01164960", "01174960",
                     "01214960", "01614960", "01914980", "02079460")  # fmt: skip
MOBILE_PREFIX = "07700900"
RESERVED_PHONES = frozenset({"01632960587", "0121111111"})


def postcode(rng: random.Random, outward: str) -> str:
    letters = rng.choice(INWARD_LETTERS) + rng.choice(INWARD_LETTERS)
    return f"{outward} {rng.randint(1, 9)}{letters}"


def address_lines(rng: random.Random, town: str) -> list[str]:
    number = rng.randint(1, 240)
    if rng.random() < 0.12:
        return [f"Flat {rng.randint(1, 30)}", f"{number} {rng.choice(STREETS)}", town]
    return [f"{number} {rng.choice(STREETS)}", town]


def gp_practice(rng: random.Random, area_index: int) -> str:
    """An ODS-shaped practice code (letter + 5 digits), a handful per district."""
    letter = "ABCDEFGHJKLMNP"[area_index % 14]
    return f"{letter}{81000 + area_index * 20 + rng.randint(0, 7):05d}"


def landline(rng: random.Random) -> str:
    return f"{rng.choice(LANDLINE_PREFIXES)}{rng.randint(0, 999):03d}"


def mobile(rng: random.Random) -> str:
    return f"{MOBILE_PREFIX}{rng.randint(0, 999):03d}"
