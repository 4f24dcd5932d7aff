"""Name pools with rough England frequencies (ONS births, 2021 Census surname counts).

Weights are relative within each pool. Groups carry their own names so a
household's names hang together; diacritics, apostrophes and compound names
are spelled as people actually write them.
"""

from dataclasses import dataclass


def _pool(spec: str) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """`"Smith:120 Jones:80 ..."` → names and weights (weight 1 when omitted)."""
    names, weights = [], []
    for token in spec.split():
        name, _, weight = token.partition(":")
        names.append(name.replace("_", " "))
        weights.append(int(weight or 1))
    return tuple(names), tuple(weights)


@dataclass(frozen=True)
class NameGroup:
    label: str
    weight: int
    surnames: tuple[tuple[str, ...], tuple[int, ...]]
    girls: tuple[tuple[str, ...], tuple[int, ...]]
    boys: tuple[tuple[str, ...], tuple[int, ...]]
    women: tuple[tuple[str, ...], tuple[int, ...]]
    men: tuple[tuple[str, ...], tuple[int, ...]]


GROUPS = (
    NameGroup(
        "british",
        760,
        _pool(
            "Smith:120 Jones:90 Williams:70 Taylor:65 Brown:60 Davies:55 Evans:45 Wilson:45 "
            "Thomas:40 Johnson:40 Roberts:38 Robinson:35 Thompson:35 Wright:34 Walker:33 "
            "White:32 Edwards:30 Hughes:30 Green:30 Hall:29 Lewis:28 Harris:28 Clarke:27 "
            "Jackson:26 Wood:26 Turner:25 Martin:25 Cooper:25 Hill:24 Ward:24 Morris:23 "
            "Moore:23 Clark:22 Lee:22 King:22 Baker:22 Harrison:21 Morgan:21 Allen:20 James:20 "
            "Scott:20 Phillips:19 Watson:19 Davis:18 Parker:18 Price:17 Bennett:17 Young:17 "
            "Griffiths:16 Mitchell:16 Kelly:16 Cook:16 Carter:15 Richardson:15 Bailey:15 "
            "Collins:15 Bell:15 Shaw:14 Murphy:14 Miller:14 Cox:14 Richards:13 Marshall:13 "
            "Anderson:13 Simpson:13 Ellis:13 Adams:12 Wilkinson:12 Foster:12 Chapman:11 "
            "Powell:11 Webb:11 Rogers:11 Gray:11 Mason:11 Hunt:10 Campbell:10 Matthews:10 "
            "Owen:10 Palmer:10 Holmes:10 Mills:10 Barnes:10 Knight:9 Lloyd:9 Butler:9 Russell:9 "
            "Barker:9 Fisher:9 Stevens:9 Jenkins:9 Murray:8 Dixon:8 Harvey:8 Smyth:2 Smythe:1 "
            "O'Brien:4 O'Connor:4 O'Neill:4 O'Sullivan:3 McDonald:4 MacLeod:2 Fitzgerald:3 "
            "Ashworth:2 Featherstonehaugh:1 Knapp:1 Bingham:2 St_John:1 le_Grand:1"
        ),
        _pool(
            "Olivia:30 Amelia:28 Isla:22 Ava:22 Mia:18 Ivy:17 Lily:17 Isabella:16 Rosie:15 "
            "Sophia:15 Grace:15 Freya:14 Florence:13 Willow:13 Poppy:12 Evie:12 Ella:12 Elsie:11 "
            "Charlotte:11 Emily:10 Sophie:10 Ruby:10 Jessica:9 Chloe:9 Chloé:1 Zoë:2 Zoe:4 "
            "Matilda:8 Daisy:8 Phoebe:7 Harper:7 Hannah:7 Katie:6 Abigail:6 Eleanor:6 Megan:5 "
            "Rebecca:5 Elizabeth:5 Mary-Jane:1 Anna-Maria:1"
        ),
        _pool(
            "Muhammad:8 Noah:25 Oliver:25 George:22 Leo:21 Arthur:20 Oscar:18 Harry:18 "
            "Archie:17 Jack:17 Henry:16 Charlie:16 Freddie:15 Theo:15 Alfie:14 Jacob:13 "
            "Thomas:12 Finley:11 William:11 James:11 Joshua:10 Samuel:10 Alexander:9 Daniel:9 "
            "Joseph:9 Benjamin:8 Edward:8 Frederick:6 Robert:5 Matthew:5 Louis:5 Harrison:4 "
            "John_Paul:1 Jean-Luc:1"
        ),
        _pool(
            "Sarah:30 Claire:25 Emma:25 Nicola:22 Lisa:22 Helen:20 Karen:18 Susan:18 Julie:18 "
            "Rachel:17 Joanne:16 Michelle:16 Laura:15 Gemma:14 Amy:14 Kelly:13 Louise:13 "
            "Victoria:12 Rebecca:12 Katherine:11 Elizabeth:11 Margaret:10 Patricia:10 Jane:9 "
            "Janet:6 Deborah:8 Jennifer:8 Samantha:8 Jessica:7 Hayley:7 Siobhán:2 Renée:1 "
            "Anne-Marie:2 Zoë:1 Kathleen:5 Dorothy:4 Joan:4 Barbara:4 Christine:6"
        ),
        _pool(
            "David:30 Paul:25 Andrew:24 Mark:24 John:24 Michael:22 Stephen:20 Ian:17 Robert:17 "
            "Richard:17 Christopher:16 Peter:15 Simon:14 James:14 Daniel:13 Lee:12 Thomas:11 "
            "Matthew:11 Anthony:10 Gary:10 Darren:9 Craig:8 Jonathan:8 Kevin:8 Jason:7 "
            "William:7 Alan:6 Graham:6 Keith:5 Brian:5 Kenneth:4 Seán:1 Jean-Paul:1 Alexander:6"
        ),
    ),
    NameGroup(
        "south_asian",
        85,
        _pool(
            "Khan:30 Patel:30 Ali:22 Hussain:20 Ahmed:20 Begum:18 Singh:18 Kaur:14 Shah:10 "
            "Rahman:10 Islam:9 Uddin:8 Akhtar:8 Mahmood:7 Iqbal:7 Sharma:6 Chowdhury:6 Malik:6 "
            "Bibi:5 Mistry:4 Gill:4 Sandhu:3 D'Souza:2 Miah:5 Hossain:4"
        ),
        _pool(
            "Maryam:10 Fatima:9 Aisha:9 Zara:7 Amira:6 Hafsa:5 Inaya:5 Anaya:5 Zainab:5 "
            "Aleena:4 Safa:3 Ayesha:5 Priya:3 Simran:3 Jasleen:2 Noor:4"
        ),
        _pool(
            "Muhammad:30 Mohammed:12 Mohammad:5 Ibrahim:8 Yusuf:8 Adam:7 Ayaan:6 Zayn:6 "
            "Ahmed:5 Hamza:6 Ali:5 Aryan:4 Arjun:3 Harjot:2 Rayyan:4 Musa:4"
        ),
        _pool(
            "Nasreen:5 Shabana:5 Farzana:5 Samina:4 Rubina:4 Nazia:4 Sadia:4 Priya:4 Sunita:3 "
            "Anjali:3 Gurpreet:3 Parveen:4 Rukhsana:3 Salma:3 Tahira:2"
        ),
        _pool(
            "Mohammed:12 Muhammad:10 Imran:6 Asif:5 Tariq:5 Amir:4 Rajesh:4 Sanjay:4 "
            "Gurpreet:3 Abdul:5 Shahid:4 Zahid:3 Kamran:3 Arif:3 Vikram:2"
        ),
    ),
    NameGroup(
        "african_caribbean",
        40,
        _pool(
            "Okafor:5 Adeyemi:5 Mensah:5 Okoro:4 Boateng:4 Campbell:4 Williams:4 Brown:4 "
            "Ogunleye:3 Asante:3 Mohamed:5 Abdi:4 Osei:3 Nwosu:3 Clarke:2 Oyelaran-Smith:1"
        ),
        _pool("Amara:5 Adaeze:3 Chiamaka:3 Nia:4 Zuri:3 Abena:3 Ife:3 Precious:2 Hodan:3 Amina:4"),
        _pool(
            "Tobi:4 Chidi:3 Kwame:3 Kofi:3 Emmanuel:4 Daniel:4 David:3 Abdi:3 Malachi:3 Elijah:3"
        ),
        _pool("Grace:4 Blessing:4 Ngozi:3 Funmilayo:2 Abimbola:2 Patience:3 Fartun:2 Marcia:3"),
        _pool("Oluwaseun:3 Chukwuemeka:2 Kwabena:2 Samuel:4 Joseph:4 Ahmed:3 Winston:2 Delroy:2"),
    ),
    NameGroup(
        "european",
        55,
        _pool(
            "Nowak:6 Kowalski:5 Wiśniewski:4 Kociński:2 Wójcik:3 Kowalczyk:3 Popescu:4 "
            "Ionescu:3 Kazlauskas:3 Jankauskas:2 Silva:4 Santos:4 Ferreira:3 Müller:2 "
            "Schmidt:2 Rossi:2 García:2 Núñez:1 Horváth:2 Nagy:2 Yılmaz:3 Kaya:2"  # noqa: RUF001 - Turkish dotless i
        ),
        _pool(
            "Zuzanna:4 Julia:5 Maja:4 Zofia:3 Lena:3 Ioana:3 Maria:4 Beatriz:2 Łucja:1 "
            "Amélie:2 Léa:1 Elif:2 Zeynep:2"
        ),
        _pool(
            "Jakub:5 Antoni:3 Szymon:3 Filip:4 Jan:3 Andrei:3 Luca:3 Tiago:2 Mateo:2 "
            "Łukasz:2 Emir:2 Yusuf:1"
        ),
        _pool("Agnieszka:4 Katarzyna:4 Małgorzata:3 Anna:4 Elena:3 Ana:3 Ewa:3 Irena:2 Ayşe:2"),
        _pool(
            "Piotr:5 Tomasz:4 Krzysztof:3 Paweł:3 Marek:3 Andrei:3 Mihai:3 João:2 José:2 "
            "Mehmet:2 Tomas:2"
        ),
    ),
    NameGroup(
        "east_asian",
        20,
        _pool("Chen:5 Wang:5 Li:5 Zhang:4 Liu:4 Nguyen:5 Tran:3 Kim:3 Wong:4 Lam:3 Ho:2"),
        _pool("Mei:3 Ying:2 Xin:2 Linh:3 Hoa:2 Ji-woo:2 Emily:3 Grace:2"),
        _pool("Wei:3 Jun:3 Hao:2 Minh:3 Duc:2 Min-jun:2 Jason:2 Ryan:2"),
        _pool("Li_Na:2 Xiaoling:2 Thi:3 Lan:2 Hui:2 Susan:2"),
        _pool("Jian:2 Tuan:2 Hung:2 Sung-min:2 Kevin:2 Michael:2"),
    ),
)

# Nicknames a given name is commonly shortened to (and LA systems record).
NICKNAMES = {
    "Robert": ("Bob", "Rob", "Bobby"), "William": ("Will", "Bill", "Billy"),
    "Thomas": ("Tom", "Tommy"), "James": ("Jim", "Jamie"), "Elizabeth": ("Liz", "Beth", "Lizzie"),
    "Margaret": ("Maggie", "Peggy"), "Alexander": ("Alex", "Xander"), "Charlotte": ("Lottie",),
    "Oliver": ("Ollie",), "Samuel": ("Sam", "Sammy"), "Joseph": ("Joe", "Joey"),
    "Daniel": ("Dan", "Danny"), "Benjamin": ("Ben",), "Katherine": ("Kate", "Katie", "Kat"),
    "Rebecca": ("Becky", "Becca"), "Jessica": ("Jess",), "Isabella": ("Izzy", "Bella"),
    "Frederick": ("Freddie", "Fred"), "Matthew": ("Matt",), "Christopher": ("Chris",),
    "Michael": ("Mike", "Mick"), "Anthony": ("Tony",), "Edward": ("Ed", "Eddie", "Ted"),
    "Victoria": ("Vicky", "Tori"), "Abigail": ("Abi", "Abby"), "Sophia": ("Sophie",),
    "Eleanor": ("Ellie", "Nell"), "Harrison": ("Harry",), "Henry": ("Harry",),
    "Jacob": ("Jake",), "Joshua": ("Josh",), "Muhammad": ("Mo",), "Mohammed": ("Mo",),
    "Amelia": ("Millie",), "Florence": ("Flo",), "Matilda": ("Tilly",), "Olivia": ("Liv",),
    "Emily": ("Em",), "Hannah": ("Annie",), "Archie": ("Arch",), "Theo": ("Teddy",),
    "Jennifer": ("Jenny", "Jen"), "Patricia": ("Pat", "Trish"), "Susan": ("Sue",),
    "Andrew": ("Andy",), "Stephen": ("Steve",), "Richard": ("Rich", "Dick"), "Peter": ("Pete",),
    "David": ("Dave",), "Jonathan": ("Jon",), "Kenneth": ("Ken",), "Zainab": ("Zee",),
    "Oluwaseun": ("Seun",), "Chukwuemeka": ("Emeka",), "Aleksander": ("Olek",),
}  # fmt: skip
