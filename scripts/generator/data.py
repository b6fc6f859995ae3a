"""Static reference data for the synthetic raw-data generator (names, domains, typos, places)."""

from __future__ import annotations

FEMALE_FIRST_NAMES = """
Emma Julia Sophie Anna Lisa Sanne Eva Fleur Lotte Noor Sara Tess Zoë Lieke Femke Anouk Iris Maud Roos Isa
Mila Nina Lara Fenna Jasmijn Marieke Ingrid Petra Annemiek Willemijn Marie Laura Léa Camille Chloé Manon
Louise Inès Clara Juliette Pauline Élodie Céline Amélie Margot Hannah Lena Leonie Katharina Johanna Sabine
Ursula Birgit Heike Anja Jana Lea Mia Sofia Charlotte Olivia Amelia Isla Grace Emily Jessica Sarah Rebecca
Hélène Lucie Elise Nathalie Ashley Jennifer Megan Madison Linda Patricia Barbara Susan Karen Nancy Maria
Fatima Yasmin Aisha Elif Zeynep Ana Carmen Lucía Giulia Chiara Marta Agnieszka Katarzyna Eline Jolien
""".split()

MALE_FIRST_NAMES = """
Daan Sem Lucas Levi Finn Luuk Milan Bram Thijs Jesse Ruben Lars Tim Sven Niels Jeroen Pieter Willem Joost
Maarten Bas Koen Stijn Wouter Dirk Hendrik Jan Kees Gert Arjen Thomas Lukas Maximilian Felix Paul Jonas
Leon Tobias Stefan Michael Andreas Jürgen Klaus Uwe Matthias Florian Hugo Louis Gabriel Raphaël Arthur Jules
Théo Nathan Mathis Antoine Nicolas Pierre Julien Olivier François Mathieu Oliver George Harry Jack Charlie
Jacob Noah William James Benjamin Daniel David Robert John Christopher Matthew Andrew Joshua Brian Kevin
Mohammed Ahmed Mustafa Yusuf Emre Mehmet Ali Omar Carlos Javier Marco Luca Giovanni Piotr Tomasz Wim Gijs
""".split()

LAST_NAMES = [n.replace("_", " ") for n in """
de_Jong Jansen de_Vries van_den_Berg van_Dijk Bakker Janssen Visser Smit Meijer de_Boer Mulder de_Groot
Bos Vos Peters Hendriks van_Leeuwen Dekker Brouwer de_Wit Dijkstra Smits de_Graaf van_der_Meer
van_der_Linden Kok Jacobs de_Haan Vermeulen van_den_Heuvel van_der_Veen van_den_Broek de_Bruijn de_Bruin
van_der_Heijden Schouten van_Beek Willems van_Vliet van_de_Ven Hoekstra Maas Verhoeven Koster van_Dam
van_der_Wal Prins Blom Huisman Peeters Maes Claes Goossens Wouters De_Smet Dubois Lambert Dupont Martens
Lemaire Hermans Michiels Mertens Desmet Leclercq Vandenberghe Cools Muller Müller Schmidt Schneider
Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch Bauer Richter Klein Wolf Schröder Neumann
Schwarz Zimmermann Braun Krüger Hofmann Hartmann Lange Schmitt Werner Schmitz Krause Meier Lehmann Schmid
Schulze Maier Köhler Herrmann König Walter Mayer Huber Kaiser Fuchs Lang Scholz Möller Weiß Jung Hahn
Schubert Vogel Friedrich Keller Günther Frank Berger Winkler Roth Beck Lorenz Baumann Franke Albrecht
Martin Bernard Thomas Petit Robert Richard Durand Leroy Moreau Simon Laurent Michel Garcia David Bertrand
Roux Vincent Fournier Morel Girard André Lefèvre Mercier Blanc Guerin Boyer Garnier Chevalier François
Legrand Gauthier Perrin Robin Clément Morin Nicolas Henry Roussel Mathieu Gautier Masson Marchand Duval
Denis Lemoine Smith Jones Williams Taylor Brown Davies Evans Wilson Johnson Roberts Robinson Wright Wood
Thompson White Walker Hughes Green Hall Edwards Clarke Turner Hill Jackson Harris Lewis Moore Cooper King
Baker Harrison Morgan Patel Khan Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Anderson Lee
Perez Sanchez Ramirez Nguyen Yilmaz Kaya Demir Şahin Çelik Öztürk Aydın El_Amrani Benali Bouzid Ouali
Kowalski Nowak Wiśniewski Rossi Russo Ferrari Esposito Bianchi Romano Fernández González Rodríguez Silva
Santos Pereira Oliveira Costa Andersen Nielsen Hansen Larsen Eriksson Johansson Karlsson Kuipers Veenstra
Kramer van_Wijk Postma Timmermans Groen Gerritsen Bosch Sanders Boer van_Dongen Verbeek Jonker Molenaar
Kuiper Vink Hoogendoorn van_der_Laan Wijnen Aarts Evers Claassen Boon Hermsen Kroon van_Rijn Scholten
Zwart Mol Bosman Lammers Wijngaard Koning
""".split()]

# e-mail domains and their sampling weights (sum to 1)
EMAIL_DOMAINS: dict[str, float] = {
    "gmail.com": 0.35, "hotmail.com": 0.15, "outlook.com": 0.12, "yahoo.com": 0.08, "icloud.com": 0.06,
    "ziggo.nl": 0.045, "kpnmail.nl": 0.035, "web.de": 0.035, "gmx.de": 0.03, "orange.fr": 0.025,
    "btinternet.com": 0.015, "telenet.be": 0.02, "acme-corp.com": 0.008, "philips.com": 0.007,
    "shell.com": 0.005, "siemens.com": 0.005,
}

# typo domain -> correct domain (subset of seeds/email_domain_typos.csv)
EMAIL_DOMAIN_TYPOS: dict[str, str] = {
    "gmial.com": "gmail.com", "gmai.com": "gmail.com", "gnail.com": "gmail.com", "gamil.com": "gmail.com",
    "gmail.con": "gmail.com", "gmail.co": "gmail.com", "gmaill.com": "gmail.com",
    "hotmial.com": "hotmail.com", "hotmal.com": "hotmail.com", "hotmail.co": "hotmail.com",
    "hotmail.con": "hotmail.com", "homail.com": "hotmail.com",
    "yaho.com": "yahoo.com", "yahooo.com": "yahoo.com", "yahoo.con": "yahoo.com",
    "outlok.com": "outlook.com", "outloo.com": "outlook.com", "outlook.con": "outlook.com",
    "iclod.com": "icloud.com", "icoud.com": "icloud.com", "icloud.con": "icloud.com",
    "zigo.nl": "ziggo.nl", "kpnmial.nl": "kpnmail.nl", "gmxx.de": "gmx.de", "orage.fr": "orange.fr",
}

PLACEHOLDER_EMAILS = ["test@test.com", "noemail@noemail.com", "n/a", "none", ""]
PLACEHOLDER_PHONES = ["0000000", "N/A", "123456789", "+31000000000"]
PLACEHOLDER_NAMES = ["Test", "xxx"]
BAD_BIRTH_DATES = ["1900-01-01", "2099-05-17", "2023-02-30", "0000-00-00"]
BAD_TIMESTAMPS = ["not a date", "31/02/2024 10:00", "2024-13-01 00:00:00", ""]

COUNTRIES = ["NL", "BE", "DE", "FR", "GB", "US"]
COUNTRY_WEIGHTS = [0.45, 0.15, 0.20, 0.10, 0.07, 0.03]
CALLING_CODES = {"NL": "31", "BE": "32", "DE": "49", "FR": "33", "GB": "44", "US": "1"}
# dirty spellings of each ISO-2 country code (country_noise)
COUNTRY_ALIASES: dict[str, list[str]] = {
    "NL": ["NLD", "Netherlands", "Nederland", "nl", " NL", "the netherlands"],
    "BE": ["BEL", "Belgique", "België", "Belgium", "be", "BE "],
    "DE": ["DEU", "Deutschland", "Germany", "de", " DE "],
    "FR": ["FRA", "France", "fr", "FR "],
    "GB": ["GBR", "United Kingdom", "UK", "gb", " GB"],
    "US": ["USA", "United States", "us", "US "],
}
# (city, postal low, postal high) per country; GB uses outward codes instead of a range
CITIES: dict[str, list[tuple[str, int, int]]] = {
    "NL": [("Amsterdam", 1011, 1109), ("Rotterdam", 3011, 3089), ("Den Haag", 2491, 2599), ("Utrecht", 3511, 3585),
           ("Eindhoven", 5611, 5658), ("Groningen", 9711, 9747), ("Tilburg", 5011, 5049), ("Almere", 1311, 1363),
           ("Breda", 4811, 4839), ("Nijmegen", 6511, 6546), ("Haarlem", 2011, 2037), ("Arnhem", 6811, 6846)],
    "BE": [("Brussel", 1000, 1210), ("Antwerpen", 2000, 2660), ("Gent", 9000, 9052), ("Brugge", 8000, 8380),
           ("Leuven", 3000, 3012), ("Liège", 4000, 4032), ("Namur", 5000, 5101), ("Hasselt", 3500, 3512)],
    "DE": [("Berlin", 10115, 14199), ("Hamburg", 20095, 22769), ("München", 80331, 81929), ("Köln", 50667, 51149),
           ("Frankfurt am Main", 60306, 65936), ("Düsseldorf", 40210, 40629), ("Stuttgart", 70173, 70629),
           ("Leipzig", 4103, 4357), ("Dortmund", 44135, 44388), ("Essen", 45127, 45359)],
    "FR": [("Paris", 75001, 75020), ("Marseille", 13001, 13016), ("Lyon", 69001, 69009), ("Toulouse", 31000, 31500),
           ("Nice", 6000, 6300), ("Nantes", 44000, 44300), ("Strasbourg", 67000, 67200), ("Lille", 59000, 59800)],
    "GB": [("London", 0, 0), ("Manchester", 0, 0), ("Birmingham", 0, 0), ("Leeds", 0, 0), ("Glasgow", 0, 0),
           ("Edinburgh", 0, 0), ("Bristol", 0, 0), ("Liverpool", 0, 0)],
    "US": [("New York", 10001, 10292), ("Los Angeles", 90001, 90089), ("Chicago", 60601, 60661),
           ("Houston", 77001, 77099), ("Seattle", 98101, 98199), ("Boston", 2108, 2137)],
}
GB_OUTWARD = {"London": ["SW1A", "EC1A", "W1D", "N1", "SE1", "E14"], "Manchester": ["M1", "M4", "M20"],
              "Birmingham": ["B1", "B15", "B33"], "Leeds": ["LS1", "LS6"], "Glasgow": ["G1", "G2", "G12"],
              "Edinburgh": ["EH1", "EH3"], "Bristol": ["BS1", "BS8"], "Liverpool": ["L1", "L18"]}
STREETS: dict[str, list[str]] = {
    "NL": ["Kerkstraat", "Dorpsstraat", "Stationsweg", "Molenweg", "Schoolstraat", "Hoofdstraat", "Julianastraat",
           "Beatrixlaan", "Prinsengracht", "Nieuwstraat", "Marktplein", "Wilhelminastraat"],
    "BE": ["Kerkstraat", "Rue de la Station", "Stationsstraat", "Grote Markt", "Rue Haute", "Dorpstraat"],
    "DE": ["Hauptstraße", "Schulstraße", "Bahnhofstraße", "Gartenstraße", "Dorfstraße", "Bergstraße", "Lindenweg"],
    "FR": ["rue de la Paix", "avenue Victor Hugo", "rue Pasteur", "boulevard Voltaire", "rue de l'Église"],
    "GB": ["High Street", "Station Road", "Main Street", "Park Road", "Church Lane", "Victoria Road"],
    "US": ["Main St", "Oak Ave", "Maple St", "Park Ave", "Washington Blvd", "2nd St"],
}
STREET_NUMBER_FIRST = {"FR", "GB", "US"}

PRODUCT_CATEGORIES = ["apparel", "shoes", "accessories", "home", "kitchen", "beauty", "electronics", "sports",
                      "toys", "books"]
PRODUCT_ADJECTIVES = ["Classic", "Urban", "Eco", "Deluxe", "Basic", "Premium", "Compact", "Vintage", "Smart",
                      "Soft", "Active", "Nordic"]
PRODUCT_NOUNS = {
    "apparel": ["T-shirt", "Hoodie", "Jeans", "Jacket", "Dress"], "shoes": ["Sneaker", "Boot", "Sandal", "Loafer"],
    "accessories": ["Scarf", "Belt", "Backpack", "Wallet", "Cap"], "home": ["Cushion", "Lamp", "Throw", "Vase"],
    "kitchen": ["Mug", "Pan", "Knife Set", "Kettle"], "beauty": ["Face Cream", "Shampoo", "Perfume", "Lip Balm"],
    "electronics": ["Earbuds", "Charger", "Speaker", "Smartwatch"], "sports": ["Yoga Mat", "Water Bottle", "Dumbbell"],
    "toys": ["Puzzle", "Plush Bear", "Building Set"], "books": ["Cookbook", "Novel", "Travel Guide"],
}
