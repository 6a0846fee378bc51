#!/usr/bin/env python3
"""Generate a deterministic, realistic and dirty corpus of paper dumps for paperdb.

    python scripts/generate_corpus.py --papers N --out DIR [--seed S] [--papers-per-file K]

Writes the three paperdb input formats (DESIGN.md, "Inputs") into DIR:
  papers_NNNNN.jsonl    JSON Lines, one paper per line (~62% of the distinct papers)
  profile_NNNNN.txt     profile dumps: owner line, then title/authors/abstract triplets
                        (~33% of the papers; each file is one prolific author's papers)
  abstracts_NNNNN.txt   `Abstract:<text>` lines: ~5% abstract-only papers plus the
                        abstracts of ~5% of the titled papers
  .manifest.json         parameters, rates, and per-file counts, bytes and sha256

~5% of the titled papers appear in a second file (another profile, whose owner is then a
co-author, or another JSONL file). Words and most names follow the real ACL sample, through
its word and name statistics committed in data/generator/ (--stats); authors
are Zipf-drawn (a few on hundreds of papers, most on one) from multicultural name pools with
CJK homonyms. Dirt at named rates: cp874 mojibake (`Mély` -> `Mรฉly`), name variants
(Josh/Joshua, J./John, dropped middle or accent), `null` givens, swapped and split names,
duplicate mentions, `OpenAI, null, :, null` organisation tokens, LaTeX escapes (`50\\%`).

Every paper's content (title, abstract, authors, ids) is a pure function of (seed, paper
index); every file's dirt comes from a generator seeded by (seed, file). So the output is
byte-identical for the same (N, seed, file sizes, statistics file) whatever --jobs is, and
files are written one record at a time (memory stays flat as N grows).
"""

from __future__ import annotations

import argparse
import bisect
import gzip
import hashlib
import json
import math
import multiprocessing
import os
import random
import re
import sys
import time
import unicodedata
from array import array
from functools import lru_cache
from pathlib import Path

GENERATOR_VERSION = 3  # 2: profiles of at most DEFAULT_PAPERS_PER_PROFILE papers; 3: words
#                       and names from the committed statistics file
# The shared real-data sample sits beside the project checkout.
# Word chains and name counts of the public ACL sample (scripts/derive_corpus_stats.py).
DEFAULT_STATS = Path(__file__).resolve().parents[1] / "data" / "generator" / "acl_sample_stats.txt.gz"
DEFAULT_SEED = 1
DEFAULT_PAPERS_PER_FILE = 25_000  # JSONL and abstracts files: 1M papers -> ~30 of them
# A profile dump is one scholar's papers: real profiles hold 20-1000, so profile owners are
# prolific (hundreds of papers) without being on a tenth of the corpus.
DEFAULT_PAPERS_PER_PROFILE = 400

# --- corpus shape -------------------------------------------------------------------------
JSONL_SHARE = 0.62  # brief: ~60% of papers in JSONL; 62 + 33 + 5 = 100% of distinct papers
PROFILE_SHARE = 0.33  # brief: ~30% in profile dumps (repeats lift profile records a little)
# The rest (~5%) are abstract-only papers: they never get a title anywhere.
ABSTRACT_OF_TITLED_SHARE = 0.05  # brief: the other half of the ~10% abstract-only records
REPEAT_RATE = 0.05  # brief: ~5% of titled papers appear again in a second file

# --- authors --------------------------------------------------------------------------------
PERSONS_PER_PAPER = 8  # person ranks per paper; most ranks are drawn once or never, so
#                        ~73% of authors have 1 paper, ~19% 2, ~5% 3 (Lotka-like), at any N
ZIPF_K = 2.0  # rank = int(M * u**K), i.e. P(rank) ~ rank**-0.5: the top authors have ~160
#               papers at N = 10k, ~460 at 100k, ~1400 at 1M (then 640, 470, 380, ...)
SYSTEM_CARD_RATE = 0.001  # brief: ~0.1% "system cards" with 100-300 authors
SYSTEM_CARD_MIN, SYSTEM_CARD_MAX = 100, 300
# Author counts 1..40, from the ACL sample (1..13) plus a hand-made long tail (14..40).
AUTHOR_COUNT_WEIGHTS = [
    86,
    479,
    690,
    545,
    358,
    200,
    109,
    49,
    21,
    12,
    8,
    7,
    4,
    3,
    3,
    2,
    2,
    2,
    2,
    2,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    0.5,
    0.5,
    0.5,
    0.5,
    0.5,
    0.5,
    0.5,
    0.5,
    0.5,
    0.5,
]
ORG_RATE = 0.001  # brief: `OpenAI, null, :, null` heads ~0.1% of author lists
ORG_ON_SYSTEM_CARD_RATE = 0.5  # half the system cards are credited to an organisation
ORGANISATIONS = [
    "OpenAI",
    "Google DeepMind",
    "Meta AI",
    "Anthropic",
    "BigScience Workshop",
    "Gemini Team",
    "Qwen Team",
    "DeepSeek-AI",
    "Mistral AI",
]
OWNER_LAST_RATE = 0.5  # profile owners are often the senior (last) author

# --- dirt (per author mention unless said otherwise) ---------------------------------------
VARIANT_RATE = 0.05  # brief: ~5% of mentions spell the person differently (Josh/Joshua, J.)
MOJIBAKE_RATE = 0.02  # brief: ~2% of non-ASCII names went through code page 874
NULL_GIVEN_RATE = 0.005  # brief: ~0.5% of mentions lose the given name (`null`)
SWAPPED_NAME_RATE = 0.002  # seed dump has `Karina, Nguyen`: given and family swapped
SPLIT_NAME_RATE = 0.0005  # DESIGN: `Shuaiqi, null, Xia, null`, one name as two entries
DUPLICATE_MENTION_RATE = 0.002  # brief: ~0.2% of papers list one author twice (per record)
LATEX_RATE = 0.01  # brief: ~1% of abstracts carry LaTeX escapes (`50\%`), per paper
OBJECT_AUTHORS_RATE = 0.05  # brief: "occasionally" JSONL authors are {family, given} objects
NULL_VENUE_RATE = 0.03  # some sources have no venue
DOI_RATE = 0.70  # most published papers have a DOI
ARXIV_RATE = 0.45  # and a good part of them a preprint (from 2008 on)

# --- text -------------------------------------------------------------------------------------
SENTENCE_POOL = 60_000  # synthetic sentences made once; abstracts are draws of ~8 of them
TITLE_MIN, TITLE_MAX = 5, 15  # brief: titles 5-15 words
TITLE_POOL = 50_000  # heads, middles and ends each: title = head [+ middle] + end
TITLE_MIDDLE_RATE = 0.6  # most titles get a middle: ~9 words on average, as in ACL, and
#                          few exact duplicate titles even at N = 1M (measured, see report)
ABSTRACT_MIN, ABSTRACT_MAX = 100, 250  # brief: abstracts 100-250 words
SENTENCE_MAX_WORDS = 45
ABBREVIATIONS = {"e.g.", "i.e.", "al.", "etc.", "vs.", "cf.", "Fig.", "Eq.", "Sec.", "approx."}
YEAR_MIN, YEAR_MAX = 2000, 2024
YEAR_GROWTH = 1.12  # papers per year grow ~12% a year, so recent years dominate

SOURCES = ["acl", "arxiv", "dblp", "s2", "openalex"]  # one source per JSONL file, cycling
DOI_PREFIXES = ["10.18653", "10.1145", "10.1109", "10.1007", "10.48550", "10.1162"]
VENUES = [  # (template, weight); {year}, {acl_n}, {nips_vol}, {icml_n}, {coling_n} filled in
    ("Proceedings of the {acl_n} Annual Meeting of the Association for Computational Linguistics", 8),
    ("Proceedings of the {year} Conference on Empirical Methods in Natural Language Processing", 7),
    (
        "Proceedings of the {year} Conference of the North American Chapter of the Association for "
        "Computational Linguistics: Human Language Technologies",
        4,
    ),
    ("Findings of the Association for Computational Linguistics: EMNLP {year}", 4),
    ("Proceedings of COLING {year}, the {coling_n} International Conference on Computational Linguistics", 3),
    ("Transactions of the Association for Computational Linguistics", 2),
    ("Computational Linguistics", 1),
    ("Advances in Neural Information Processing Systems {nips_vol}", 8),
    ("Proceedings of the {icml_n} International Conference on Machine Learning", 6),
    ("International Conference on Learning Representations", 6),
    ("Proceedings of the AAAI Conference on Artificial Intelligence", 4),
    ("Journal of Machine Learning Research", 2),
    ("arXiv preprint", 10),
]

CULTURE_SLOTS = 1000  # name cultures are picked by hash % 1000, weights rounded to 0.1%
M64 = (1 << 64) - 1
INV53 = 1.0 / (1 << 53)
SALT_CONTENT, SALT_PERSON, SALT_REPEAT, SALT_ABSTRACT, SALT_YEAR, SALT_ORDER, SALT_FILE, SALT_VOCAB = range(1, 9)
GENERATED_NAME = re.compile(
    r"^\.?(papers_\d{5}\.jsonl|profile_\d{5}\.txt|abstracts_\d{5}\.txt"
    r"|\.manifest\.json)(\.tmp)?$"
)  # .NAME.tmp: left by a killed run

# --- name pools ----------------------------------------------------------------------------
# culture: (weight, families, givens, middle rate, middles). "acl" families and givens come
# from the real ACL sample (mention-weighted, so Wang/Liu/Li/Zhang are common); the others
# add diacritics the loader must survive, and CJK names that collide (homonyms).
ENGLISH_FAMILIES = """Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor
Thomas Moore Jackson White Harris Clark Lewis Robinson Walker Young Allen King Wright Scott Hill
Green Adams Baker Nelson Carter Mitchell Roberts Turner Phillips Campbell Parker Evans Edwards
Collins Stewart Morris Rogers Reed Cook Morgan Bell Murphy Bailey Cooper Richardson Cox Howard
Ward Peterson Gray Watson Brooks Kelly Sanders Price Bennett Wood Barnes Ross Henderson Coleman
Jenkins Perry Powell Long Patterson Hughes Butler Simmons Foster Bryant Alexander Russell
Griffin Hayes Myers Ford Hamilton Graham Sullivan Wallace West Cole Jordan Reynolds Fisher Ellis
Harrison Gibson McDonald Marshall Owens Murray Wells Webb Kennedy Levin Levy Levine Schulman
Achiam Fedus Radford O'Brien O'Connor MacLeod"""
ENGLISH_GIVENS = """Joshua William John James Robert Michael David Richard Joseph Thomas
Christopher Daniel Matthew Anthony Mark Steven Stephen Andrew Kenneth Edward Timothy Jonathan
Benjamin Samuel Nicholas Alexander Patrick Jacob Zachary Gregory Jeffrey Ronald Donald Lawrence
Elizabeth Jennifer Katherine Margaret Rebecca Susan Jessica Sarah Emily Emma Olivia Abigail
Alexandra Victoria Josh Will Bill Liam Mike Alex Chris Dan Matt Nick Sam Ben Andy Tom Jim Kate
Jen Liz Steve Tony Tim Greg Jeff Hunter Karl Ilya Lilian Amelia Spencer Molly Teddy Harri Bowen
Jacob Jason Karina Heather"""
ENGLISH_MIDDLES = "Lee Ann Marie James John Michael Elizabeth Rose Grace Ray Paul Jane Lynn Alan"
CHINESE_FAMILIES = """Wang Wang Wang Li Li Li Zhang Zhang Zhang Liu Liu Chen Chen Yang Zhao
Huang Zhou Wu Xu Sun Hu Zhu Gao Lin He Guo Ma Luo Liang Song Zheng Xie Han Tang Feng Yu Dong
Xiao Cheng Cao Yuan Deng Fu Shen Zeng Peng Lu Su Jiang Cai Jia Ding Wei Xue Ye Yan Pan Du Dai
Xia Zhong Tian Ren Fan Fang Shi Yao Tan Liao Zou Xiong Jin Hao Kong Bai Cui Kang Mao Qiu Qin Gu
Hou Shao Meng Long Wan Duan Lei"""
CHINESE_SYLLABLES = """Wei Jing Li Min Yan Lei Jie Tao Hao Yu Xin Yi Jun Ying Hui Ming Lin Fang
Qiang Jian Bo Chen Peng Fei Kai Rui Yue Yun Na Ping Hong Gang Long Xu Ze Han Qi Lu Dan Yang Zhi
Hua Xiao Jia Zhen Shu Wen Tian Xiang Cheng"""
KOREAN_FAMILIES = """Kim Kim Kim Kim Lee Lee Lee Park Park Choi Jung Kang Cho Yoon Jang Lim Han
Oh Seo Shin Kwon Hwang Ahn Song Yoo Hong Jeon Moon Son Bae Baek Heo Nam Shim Noh Ha Kwak Sung
Cha Joo Woo"""
KOREAN_GIVENS = """Min-jun Seo-yeon Ji-hoon Hyun-woo Jae-won Soo-jin Dong-hyun Eun-ji Ji-woo
Seung-hyun Ye-jin Sung-min Hye-jin Jun-ho Young-jae Ha-eun Jin-woo Yoon-seo Tae-hyung Min-seo
Kyung-hoon Ji-min Sang-woo Hee-jung Dong-wook Jae-hyun So-yeon Woo-jin Joon-young Heewoo Minjoon
Kyunghyun Seonghyeon Jaewoo Hyung Won"""
JAPANESE_FAMILIES = """Sato Satō Suzuki Takahashi Tanaka Watanabe Ito Itō Yamamoto Nakamura
Kobayashi Kato Yoshida Yamada Sasaki Yamaguchi Matsumoto Inoue Kimura Hayashi Shimizu Yamazaki
Mori Abe Ikeda Hashimoto Yamashita Ishikawa Nakajima Maeda Fujita Ogawa Goto Okada Hasegawa
Murakami Kondo Ōno Kōno Saito Sakamoto Endo Aoki Fujii Nishimura Fukuda Ota Ōta Miura Fujiwara
Okamoto Nakano Kosaraju"""
JAPANESE_GIVENS = """Hiroshi Takeshi Yuki Yūki Kenji Akira Naoki Yusuke Haruka Sakura Daisuke
Takashi Kazuki Ryota Shota Shōta Yuta Kenta Takuya Masashi Kentaro Shinji Yoshiki Tomoko Yoko
Keiko Akiko Naoko Yumi Ayumi Mai Rei Shun Taro Jiro Koji Kōji Makoto Satoshi Tetsuya Hideki
Reiichiro"""
VIETNAMESE_FAMILIES = """Nguyễn Nguyễn Nguyễn Nguyễn Nguyễn Trần Trần Lê Lê Phạm Hoàng Huỳnh
Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đinh Đào Trịnh Mai"""
VIETNAMESE_NAMES = """Anh Hương Hùng Dũng Tuấn Thảo Phương Linh Huy Khoa Nam Long Hải Trang Hà
Lan Quân Thắng Tâm Thủy Hiếu Đạt Bảo Khánh Trung Sơn Việt Tú Vy Nhung Yến Hạnh Hòa Cường Lộc
Phúc Thành Toàn"""
VIETNAMESE_MIDDLES = "Văn Thị Đức Minh Quốc Thanh Hoàng Ngọc Hữu Công Xuân Thu Kim"
POLISH_FAMILIES = """Nowak Kowalski Wiśniewski Wójcik Kowalczyk Kamiński Lewandowski Zieliński
Szymański Woźniak Dąbrowski Kozłowski Jankowski Mazur Kwiatkowski Krawczyk Piotrowski Grabowski
Nowakowski Pawłowski Michalski Król Wieczorek Jabłoński Wróbel Majewski Olszewski Stępień
Malinowski Jaworski Adamczyk Dudek Nowicki Pawlak Górski Witkowski Walczak Sikora Baran
Rutkowski Michalak Szewczyk Ostrowski Tomaszewski Pietrzak Zalewski Wróblewski Mądry Chrupała
Żółkiewski Szczęsny Łukasiewicz Ślusarczyk Gąsior"""
POLISH_GIVENS = """Łukasz Wojciech Grzegorz Krzysztof Piotr Paweł Michał Tomasz Marcin Jakub
Mateusz Bartłomiej Przemysław Jarosław Mirosław Stanisław Zbigniew Władysław Agnieszka
Małgorzata Katarzyna Joanna Magdalena Aleksandra Dorota Elżbieta Żaneta Beata Grażyna Jolanta
Aleksander Maciej Rafał Kamil Szymon"""
CZECH_FAMILIES = """Novák Svoboda Novotný Dvořák Černý Procházka Kučera Veselý Horák Němec Marek
Pospíšil Pokorný Hájek Král Jelínek Růžička Beneš Fiala Sedláček Doležal Zeman Kolář Navrátil
Čermák Vaněk Urban Blažek Kříž Kovář Bartoš Vlček Polák Kopecký Šimek Konečný Malý Holub
Štěpánek Hrubý Šťastný Mráz Tichý Bureš Čech Hruška Matoušek"""
CZECH_GIVENS = """Jiří Jan Petr Josef Pavel Martin Tomáš Jaroslav Miroslav Zdeněk Václav Michal
František Jakub Milan Karel Lukáš David Ondřej Vojtěch Marie Jana Eva Hana Anna Lenka Kateřina
Lucie Věra Alena Petra Veronika Tereza Martina Michaela Zuzana Ivana Markéta Šárka Radek Vít
Přemysl"""
TURKISH_FAMILIES = """Yılmaz Kaya Demir Şahin Çelik Yıldız Yıldırım Öztürk Aydın Özdemir Arslan
Doğan Kılıç Aslan Çetin Kara Koç Kurt Özkan Şimşek Polat Özcan Korkmaz Çakır Erdoğan Yavuz Can
Acar Şen Aktaş Güler Yalçın Güneş Bozkurt Bulut Keskin Ünal Turan Gül Özer Işık Kaplan Avcı Sarı
Tekin Taş Köse Yüksel Ateş Aksoy"""
TURKISH_GIVENS = """Mehmet Mustafa Ahmet Ali Hüseyin Hasan İbrahim İsmail Osman Yusuf Murat Ömer
Ramazan Halil Süleyman Abdullah Mahmut Salih Kemal Recep Fatma Ayşe Emine Hatice Zeynep Elif
Meryem Şerife Zehra Hülya Özge Çağrı Gökhan Gülşen Şükrü Ebru Burcu Hakan Tuğba Oğuz Barış Cem
Deniz Ece Eren Gizem İpek Kübra Onur Sinan Tolga Uğur Volkan Yiğit"""
SPANISH_FAMILIES = """García González Rodríguez Fernández López Martínez Sánchez Pérez Gómez
Martín Jiménez Ruiz Hernández Díaz Moreno Muñoz Álvarez Romero Alonso Gutiérrez Navarro Torres
Domínguez Vázquez Ramos Gil Ramírez Serrano Blanco Suárez Molina Castro Ortega Rubio Núñez Ortiz
Marín Sanz Iglesias Medina Garrido Cortés Castillo Santos Lozano Guerrero Cano Prieto Méndez
Cruz Calvo Gallego Vidal León Márquez Herrera Peña Flores Cabrera Campos Vega Fuentes Carrasco
Díez Caballero Reyes Nieto Aguilar Pascual Herrero Lorenzo Montero Hidalgo Giménez Ibáñez Ferrer
Durán Benítez Mora Vargas Arias Carmona Crespo Román Pastor Soto Sáez Velasco Moya Soler Parra
Esteban Bravo Rojas"""
SPANISH_GIVENS = """José Antonio Manuel Francisco David Juan Javier Daniel Carlos Jesús
Alejandro Miguel Rafael Pablo Pedro Ángel Sergio Fernando Jorge Luis Alberto Álvaro Adrián Diego
Raúl Iván Rubén Enrique Óscar Ramón Andrés Vicente Joaquín Santiago Víctor Mario Eduardo Roberto
Jaime Ignacio Íñigo María Carmen Ana Isabel Laura Cristina Marta Lucía Paula Elena Sara Raquel
Rocío Pilar Beatriz Nuria Silvia Patricia Inés Sofía Begoña Mónica Ángela Verónica Noelia Irene
Alicia Julia Clara"""
SPANISH_MIDDLES = "Luis Carlos José María Antonio Manuel Ángel Javier Isabel Pilar"
GERMAN_FAMILIES = """Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann
Schäfer Koch Bauer Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann
Hartmann Lange Schmitt Werner Schmitz Krause Meier Lehmann Schmid Schulze Maier Köhler Herrmann
König Walter Mayer Huber Kaiser Fuchs Peters Lang Scholz Möller Weiß Jung Hahn Schubert Vogel
Friedrich Keller Günther Frank Berger Winkler Roth Beck Lorenz Baumann Franke Albrecht Schuster
Ludwig Böhm Winter Kraus Krämer Vogt Stein Jäger Otto Sommer Groß Seidel Heinrich Brandt Haas
Schreiber Graf Dietrich Ziegler Kuhn Kühn Pohl Engel Horn Busch Bergmann Voigt Sauer Arnold
Wolff Pfeiffer Stüker Gößling"""
GERMAN_GIVENS = """Jürgen Jörg Günter Björn Uwe Klaus Dieter Hans Wolfgang Stefan Andreas
Michael Thomas Peter Frank Matthias Markus Sebastian Tobias Florian Lukas Jonas Maximilian Felix
Niklas Moritz Ulrike Sabine Petra Monika Ursula Renate Brigitte Birgit Katrin Anja Julia Lena
Hannah Jana Sören Jens Kai Sönke Käthe Bärbel"""
FRENCH_FAMILIES = """Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon
Laurent Lefèbvre Lefèvre Michel David Bertrand Roux Vincent Fournier Morel Girard André Mercier
Dupont Lambert Bonnet François Legrand Garnier Faure Rousseau Blanc Guérin Muller Henry Roussel
Nicolas Perrin Morin Mathieu Clément Gauthier Dumont Fontaine Chevalier Robin Mély Besançon
Ménard Gérard Hébert Bénard Thévenin Lemaître Béranger Pélissier"""
FRENCH_GIVENS = """Jean Pierre Michel André Philippe René Louis Alain Jacques Bernard Marcel
Daniel Roger Paul Claude Christian Henri Georges Nicolas François Éric Hélène Céline Gaël Noël
Léa Chloé Zoé Manon Camille Inès Clémence Amélie Mélanie Stéphane Jérôme Sébastien Frédéric
Benoît Hervé Loïc Joël Raphaël Théo Agnès Bérénice Françoise Thérèse Geneviève Jean-Pierre
Jean-Luc Marie-Claire Jean-Baptiste Pierre-Yves Anne-Sophie"""
NORDIC_FAMILIES = """Hansen Johansen Olsen Larsen Andersen Pedersen Nilsen Kristiansen Jensen
Karlsen Søndergaard Jørgensen Sørensen Møller Ødegaard Øvrelid Lindström Sjöberg Håkansson Åberg
Ström Nyström Bergström Lundqvist Ekström Wallén Löfgren Öberg Järvinen Mäkinen Virtanen
Korhonen Nieminen Hämäläinen Koskinen Heikkinen Lehtonen Kärkkäinen"""
NORDIC_GIVENS = """Søren Jørgen Åsa Ørjan Bjørn Kåre Sigrún Þór Mikael Lars Anders Erik Nils
Magnus Johan Karin Ingrid Sigrid Astrid Liv Maja Elin Hanne Mette Pekka Jukka Matti Päivi Sanna
Tiina Väinö"""
INDIAN_FAMILIES = """Sharma Gupta Singh Kumar Patel Reddy Iyer Rao Nair Agarwal Jain Mehta Shah
Verma Mishra Chatterjee Banerjee Mukherjee Das Bose Ghosh Pillai Menon Krishnan Subramanian
Venkatesh Srinivasan Raghavan Bhattacharya Chaudhary Joshi Kulkarni Deshpande Kapoor Malhotra
Saxena Tiwari Pandey Yadav Keskar Goyal Bansal Arora"""
INDIAN_GIVENS = """Rahul Priya Amit Anjali Vikram Sneha Arjun Deepak Kavya Nitish Sandeep Sanjay
Rajesh Suresh Ramesh Anil Sunil Vijay Ankit Ankur Ashish Abhishek Aditya Akash Pooja Neha Shruti
Divya Swati Kriti Lakshmi Meera Aishwarya Sandhini Shantanu Suchir Shyamal Karthik Siddharth
Varun Rohan Harsh Manish Mohit Gaurav Nikhil Pranav"""
INDIAN_MIDDLES = "Shirish Kumar Prasad Chandra Mohan Raj Lal Nath"
ARABIC_FAMILIES = """Ahmed Mohamed Hassan Ali Ibrahim Mahmoud Mostafa Abdelali Khalil Haddad
Nasser Saleh Farouk Aziz Karimi Hosseini Rezaei Mohammadi Ahmadi Moradi Jafari Bavarian Tehrani
Najafi Al-Khatib El-Sayed Abdel-Rahman"""
ARABIC_GIVENS = """Mohammad Ahmed Omar Youssef Khaled Fatima Aisha Layla Nour Mariam Hamza Tariq
Karim Samir Reza Ali Hossein Mehdi Amir Sara Zahra Maryam Niloofar Parisa"""

# Full given name -> short forms, used in both directions (Josh <-> Joshua).
NICKNAMES = {
    "Joshua": ["Josh"],
    "William": ["Bill", "Will", "Liam"],
    "Robert": ["Bob", "Rob"],
    "Michael": ["Mike"],
    "Alexander": ["Alex", "Sasha"],
    "Christopher": ["Chris"],
    "Daniel": ["Dan", "Danny"],
    "Jonathan": ["Jon"],
    "Matthew": ["Matt"],
    "Nicholas": ["Nick"],
    "Samuel": ["Sam"],
    "Benjamin": ["Ben"],
    "Andrew": ["Andy", "Drew"],
    "Thomas": ["Tom"],
    "James": ["Jim", "Jamie"],
    "Richard": ["Rick", "Dick"],
    "Elizabeth": ["Liz", "Beth"],
    "Katherine": ["Kate", "Katie"],
    "Jennifer": ["Jen"],
    "Margaret": ["Maggie", "Peggy"],
    "Stephen": ["Steve"],
    "Steven": ["Steve"],
    "Anthony": ["Tony"],
    "Edward": ["Ed", "Ted"],
    "Timothy": ["Tim"],
    "Patrick": ["Pat"],
    "Zachary": ["Zach"],
    "Gregory": ["Greg"],
    "Jeffrey": ["Jeff"],
    "Kenneth": ["Ken"],
    "Ronald": ["Ron"],
    "Donald": ["Don"],
    "Lawrence": ["Larry"],
    "Susan": ["Sue"],
    "Rebecca": ["Becky"],
    "Alexandra": ["Sasha"],
    "Aleksander": ["Olek"],
    "Francisco": ["Paco"],
    "José": ["Pepe"],
    "Jacob": ["Jake"],
    "Victoria": ["Vicky"],
    "Abigail": ["Abby"],
    "Harrison": ["Harri"],
    "Mohammad": ["Mo"],
    "Joseph": ["Joe"],
    "David": ["Dave"],
    "Peter": ["Pete"],
    "Johannes": ["Hannes"],
}
NICK_TO_FULL: dict[str, list[str]] = {}
for _full, _shorts in NICKNAMES.items():
    for _short in _shorts:
        NICK_TO_FULL.setdefault(_short, []).append(_full)

# Accent stripping for letters NFKD does not decompose.
UNACCENT_EXTRA = str.maketrans(
    {
        "ł": "l",
        "Ł": "L",
        "ø": "o",
        "Ø": "O",
        "đ": "d",
        "Đ": "D",
        "ı": "i",
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "þ": "th",
        "Þ": "Th",
    }
)


def _build_cp874_table() -> list[str]:
    """Map each byte to what a cp874 reader shows: dropped if undefined, 0x85/0xA0 as space."""
    table = []
    for byte in range(256):
        if byte in (0x85, 0xA0):
            table.append(" ")
            continue
        try:
            char = bytes([byte]).decode("cp874")
        except UnicodeDecodeError:
            char = ""
        table.append("" if 0x80 <= ord(char or "\0") <= 0x9F else char)
    return table


CP874_TABLE = _build_cp874_table()


# --- small pure helpers ------------------------------------------------------------------------
def mix64(x: int) -> int:
    """SplitMix64 finaliser: a fast bijective 64-bit hash."""
    x = (x + 0x9E3779B97F4A7C15) & M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M64
    return x ^ (x >> 31)


def salt_base(seed: int, salt: int) -> int:
    """Per-purpose 64-bit base derived from the seed, so streams do not correlate."""
    return mix64(mix64(seed & M64) ^ (salt * 0xD6E8FEB86659FD93 & M64))


def unit(base: int, i: int) -> float:
    """Uniform float in [0, 1) that depends only on (base, i)."""
    return (mix64((base + i) & M64) >> 11) * INV53


def mojibake(text: str) -> str:
    """UTF-8 bytes shown through code page 874: `Mély` -> `Mรฉly`, `Łukasz` -> `ลukasz`."""
    return "".join([CP874_TABLE[b] for b in text.encode("utf-8")]).strip()


def strip_accents(text: str) -> str:
    """Drop diacritics: `Dvořák` -> `Dvorak`, `Łukasz` -> `Lukasz`."""
    decomposed = unicodedata.normalize("NFKD", text.translate(UNACCENT_EXTRA))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def initials(given: str) -> str:
    """`John` -> `J.`, `Hyung Won` -> `H. W.`, `Xin-Yu` -> `X.-Y.`."""
    parts = []
    for word in given.split():
        parts.append("-".join(p[:1] + "." for p in word.split("-") if p))
    return " ".join(parts)


def ordinal(n: int) -> str:
    """1 -> 1st, 58 -> 58th."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def split_words(block: str) -> list[str]:
    """Whitespace-separated words of a block of names, commas removed."""
    return [w.replace(",", "") for w in block.split()]


# --- name variants -------------------------------------------------------------------------------
def name_variant(rng: random.Random, family: str, given: str) -> tuple[str, str]:
    """Another spelling of the same person, as a different source would write it."""
    options = []
    first, _, rest = given.partition(" ")
    if first in NICKNAMES:
        options.append((family, " ".join([rng.choice(NICKNAMES[first])] + rest.split())))
    if first in NICK_TO_FULL:
        options.append((family, " ".join([rng.choice(NICK_TO_FULL[first])] + rest.split())))
    if rest:
        options.append((family, first))  # dropped middle name
        options.append((family, f"{first} {initials(rest)}"))
    if "." not in given:
        options.append((family, initials(given)))
    if not (family + given).isascii():
        options.append((strip_accents(family), strip_accents(given)))
    if "-" in given:
        head, _, tail = given.partition("-")
        options.append((family, head + tail.lower()))
        options.append((family, f"{head}-{tail.lower()}"))
    for sep in (" ", "-"):
        if sep in family:  # `Gontijo-Lopes, Rapha` -> `Lopes, Rapha Gontijo`
            head, _, tail = family.partition(sep)
            options.append((tail, f"{given} {head}"))
            options.append((head, given))
    return rng.choice(options) if options else (family, given)


# --- vocabulary --------------------------------------------------------------------------------
class Vocab:
    """Title fragment pools and a pool of synthetic abstract sentences, from real word statistics."""

    def __init__(self, path: Path, seed: int):
        """Read the statistics file (scripts/derive_corpus_stats.py) and build the pools."""
        raw = path.read_bytes()
        self.sha256 = hashlib.sha256(raw).hexdigest()
        sections = read_stats(gzip.decompress(raw).decode("utf-8"))
        words = ["", *sections["words"]]
        self.families, self.givens = (expand_counts(sections[s]) for s in ("families", "givens"))
        rng = random.Random(salt_base(seed, SALT_VOCAB))
        self._build_titles(words, successors(sections["titles"]), rng)
        self._build_sentences(words, successors(sections["abstracts"]), rng)

    def _build_titles(self, words: list[str], succ: list[list[int]], rng: random.Random) -> None:
        """Pools of title heads, middles and ends: short walks of the title word chain.

        Word 0 is a title's edge: what follows it starts a title, what precedes it ends one."""
        pred: list[list[int]] = [[] for _ in words]
        for a, following in enumerate(succ):
            for b in following:
                pred[b].append(a)
        in_titles = [k for k in range(1, len(words)) if succ[k]]
        forward = edge_stops(succ)
        self.title_heads = self._walks(rng, succ[0], forward, words)
        self.title_middles = self._walks(rng, in_titles, forward, words)
        self.title_ends = self._walks(rng, pred[0], edge_stops(pred), words, True)

    @staticmethod
    def _walks(
        rng: random.Random, starts: list[int], links: list[list[int]], words: list[str], backwards: bool = False
    ) -> list[tuple[str, int]]:
        """TITLE_POOL chain walks of 2-5 words from `starts`, as (text, word count)."""
        rnd, out = rng.random, []
        while len(out) < TITLE_POOL:
            w = starts[int(rnd() * len(starts))]
            ids, length = [w], 2 + int(rnd() * 4)
            while len(ids) < length:
                nexts = links[w]
                w = nexts[int(rnd() * len(nexts))]
                if w < 0:
                    break
                ids.append(w)
            if len(ids) >= 2:
                ordered = reversed(ids) if backwards else ids
                out.append((" ".join([words[k] for k in ordered]), len(ids)))
        return out

    def _build_sentences(self, words: list[str], succ: list[list[int]], rng: random.Random) -> None:
        """Walk the abstract word chain into SENTENCE_POOL sentences.

        A sentence starts where an abstract does (after word 0) or after a word that ends one."""
        ends = [False] + [self._ends_sentence(w) for w in words[1:]]
        starts = list(succ[0])
        for a, following in enumerate(succ[1:], 1):
            if ends[a]:
                starts.extend(b for b in following if b)
        succ = edge_stops(succ)
        rnd = rng.random
        self.sentences, self.sentence_words = [], []
        while len(self.sentences) < SENTENCE_POOL:
            w = starts[int(rnd() * len(starts))]
            ids = [w]
            while len(ids) < SENTENCE_MAX_WORDS and not (len(ids) >= 4 and ends[w]):
                nexts = succ[w]
                w = nexts[int(rnd() * len(nexts))]
                if w < 0:
                    break
                ids.append(w)
            if len(ids) < 4:
                continue
            text = " ".join(words[k] for k in ids)
            if text[-1] not in ".?!":
                text += "."
            self.sentences.append(text)
            self.sentence_words.append(len(ids))

    @staticmethod
    def _ends_sentence(word: str) -> bool:
        """Whether a word closes a sentence (ends in . ? ! and is no abbreviation)."""
        return word[-1] in ".?!" and word not in ABBREVIATIONS

    def title(self, rng: random.Random) -> str:
        """A 5-15 word title: a head, maybe a middle, and an end from the fragment pools."""
        rnd, middles, ends = rng.random, self.title_middles, self.title_ends
        head, count = self.title_heads[int(rnd() * len(self.title_heads))]
        end, n_end = ends[int(rnd() * len(ends))]
        parts = [head]
        if rnd() < TITLE_MIDDLE_RATE or count + n_end < TITLE_MIN:
            middle, n = middles[int(rnd() * len(middles))]
            parts.append(middle)
            count += n
        parts.append(end)
        count += n_end
        title = " ".join(parts)
        if count > TITLE_MAX:
            title = " ".join(title.split()[:TITLE_MAX])
        return title

    def abstract(self, rng: random.Random) -> str:
        """Sentences from the pool until 100-250 words (skewed short, like real abstracts)."""
        rnd, pool, counts = rng.random, self.sentences, self.sentence_words
        size = len(pool)
        target = ABSTRACT_MIN + int((ABSTRACT_MAX - ABSTRACT_MIN) * rnd() ** 1.8)
        parts, total = [], 0
        while total < target:
            k = int(rnd() * size)
            n = counts[k]
            if total + n > ABSTRACT_MAX:
                if total >= ABSTRACT_MIN:
                    break
                continue
            parts.append(pool[k])
            total += n
        return " ".join(parts)


def read_stats(text: str) -> dict[str, list[str]]:
    """The sections of a statistics file: `[name LINES]` headers, each followed by its lines."""
    lines, sections, k = text.splitlines(), {}, 0
    while k < len(lines):
        name, count = lines[k].strip("[]").split()
        sections[name] = lines[k + 1 : k + 1 + int(count)]
        k += 1 + int(count)
    return sections


def successors(lines: list[str]) -> list[list[int]]:
    """Each word's successors from their delta-encoded `[titles]`/`[abstracts]` lines,
    each repeated as often as it follows, so a uniform draw is a draw by frequency."""
    table = []
    for line in lines:
        following, word = [], 0
        for part in line.split():
            delta, _, times = part.partition("*")
            word += int(delta)
            following.extend([word] * int(times or 1))
        table.append(following)
    return table


def edge_stops(table: list[list[int]]) -> list[list[int]]:
    """The same chain with the edge (word 0) written as -1, where a walk stops."""
    return [[w or -1 for w in following] for following in table]


def expand_counts(lines: list[str]) -> list[str]:
    """`name<TAB>count` lines as a list holding each name count times (mention-weighted draws)."""
    return [name for name, count in (line.split("\t") for line in lines) for _ in range(int(count))]


@lru_cache(maxsize=4)
def load_vocab(path: Path, seed: int) -> Vocab:
    """Vocab for (path, seed), built once per process (tests generate several corpora)."""
    return Vocab(path, seed)


LATEX_SENTENCES = [
    "Our approach improves accuracy by {x}% over strong baselines.",
    "The model reaches {x}% F1 on the held-out test set.",
    "Human judges prefer our outputs in {x}% of the cases.",
    "This reduces the error rate by {x}% relative to prior work.",
    "Results on question answering & summarisation show gains of up to {x}%.",
]


def latex_dirt(rng: random.Random, abstract: str) -> str:
    """Escape % and & the LaTeX way, adding a percentage if the abstract has none."""
    if "%" not in abstract:
        sentence = LATEX_SENTENCES[int(rng.random() * len(LATEX_SENTENCES))]
        abstract += " " + sentence.format(x=f"{rng.randint(1, 40)}.{rng.randint(0, 9)}")
    return abstract.replace("%", "\\%").replace("&", "\\&")


# --- the corpus ------------------------------------------------------------------------------
class Paper:
    """A paper's content, the same in every file it appears in."""

    __slots__ = ("index", "title", "abstract", "year", "venue", "doi", "arxiv_id", "token", "authors", "org")


class Corpus:
    """Everything about the corpus that is a pure function of (N, seed, sizes, vocabulary)."""

    def __init__(self, papers: int, seed: int, per_file: int, per_profile: int, vocab: Vocab):
        """Lay out paper index ranges and file counts."""
        self.n, self.seed, self.vocab = papers, seed, vocab
        self.per_file, self.per_profile = per_file, per_profile
        self.n_jsonl = round(papers * JSONL_SHARE)
        self.n_profile = round(papers * PROFILE_SHARE)
        self.n_titled = self.n_jsonl + self.n_profile
        self.n_abstract_only = papers - self.n_titled
        self.files_jsonl = math.ceil(self.n_jsonl / per_file)
        self.files_profile = math.ceil(self.n_profile / per_profile)
        expected_abstracts = self.n_abstract_only + round(ABSTRACT_OF_TITLED_SHARE * papers)
        self.files_abstracts = math.ceil(expected_abstracts / per_file)
        self.abstract_of_titled_rate = ABSTRACT_OF_TITLED_SHARE * papers / max(1, self.n_titled)
        self.persons = max(100, int(papers * PERSONS_PER_PAPER))
        self.bases = {salt: salt_base(seed, salt) for salt in range(1, 9)}
        self.culture_slots = self._culture_slots(self._cultures(vocab))
        self.count_cum = list(_accumulate(AUTHOR_COUNT_WEIGHTS))
        weights = [YEAR_GROWTH ** (y - YEAR_MIN) for y in range(YEAR_MIN, YEAR_MAX + 1)]
        self.year_cum = [c / sum(weights) for c in _accumulate(weights)]
        self.venue_cum = list(_accumulate(w for _, w in VENUES))
        self.venue_names = {
            (k, year): self._venue_name(template, year)
            for k, (template, _) in enumerate(VENUES)
            for year in range(YEAR_MIN, YEAR_MAX + 1)
        }
        self.rng = random.Random()
        self.person = lru_cache(maxsize=1 << 16)(self._person)

    @staticmethod
    def _culture_slots(cultures: list[tuple]) -> list[tuple]:
        """CULTURE_SLOTS entries, each culture filling a share of slots equal to its weight."""
        total = sum(c[0] for c in cultures)
        cum = list(_accumulate(c[0] / total for c in cultures))
        slots = []
        for k in range(CULTURE_SLOTS):
            _, families, givens, middle_rate, middles = cultures[
                min(bisect.bisect(cum, (k + 0.5) / CULTURE_SLOTS), len(cultures) - 1)
            ]
            slots.append((families, givens, int(middle_rate * 256), middles))
        return slots

    @staticmethod
    def _cultures(vocab: Vocab) -> list[tuple]:
        """Name cultures: (weight, families, givens, middle rate, middles)."""
        syllables = split_words(CHINESE_SYLLABLES)
        chinese = syllables * 12 + [a + b.lower() for a in syllables for b in syllables]
        chinese += [f"{a}-{b}" for a in syllables[:20] for b in syllables[20:40]]
        names, middles = split_words(VIETNAMESE_NAMES), split_words(VIETNAMESE_MIDDLES)
        vietnamese = names + [f"{m} {n}" for m in middles for n in names]
        letters = [f"{c}." for c in "ABCDEFGHJKLMNPRSTW"]
        return [
            (0.33, vocab.families, vocab.givens, 0.03, letters),
            (0.12, split_words(CHINESE_FAMILIES), chinese, 0.0, []),
            (
                0.10,
                split_words(ENGLISH_FAMILIES),
                split_words(ENGLISH_GIVENS),
                0.25,
                split_words(ENGLISH_MIDDLES) + letters,
            ),
            (0.06, split_words(INDIAN_FAMILIES), split_words(INDIAN_GIVENS), 0.15, split_words(INDIAN_MIDDLES)),
            (0.05, _spanish_families(), split_words(SPANISH_GIVENS), 0.2, split_words(SPANISH_MIDDLES)),
            (0.04, split_words(GERMAN_FAMILIES), split_words(GERMAN_GIVENS), 0.1, letters),
            (0.03, split_words(KOREAN_FAMILIES), split_words(KOREAN_GIVENS), 0.0, []),
            (0.03, split_words(JAPANESE_FAMILIES), split_words(JAPANESE_GIVENS), 0.0, []),
            (0.03, split_words(VIETNAMESE_FAMILIES), vietnamese, 0.0, []),
            (0.03, split_words(FRENCH_FAMILIES), split_words(FRENCH_GIVENS), 0.1, letters),
            (0.025, split_words(POLISH_FAMILIES), split_words(POLISH_GIVENS), 0.0, []),
            (0.02, split_words(CZECH_FAMILIES), split_words(CZECH_GIVENS), 0.0, []),
            (0.025, split_words(TURKISH_FAMILIES), split_words(TURKISH_GIVENS), 0.0, []),
            (0.02, split_words(NORDIC_FAMILIES), split_words(NORDIC_GIVENS), 0.05, letters),
            (0.03, split_words(ARABIC_FAMILIES), split_words(ARABIC_GIVENS), 0.0, []),
        ]

    # -- layout --
    def home(self, i: int) -> tuple[str, int]:
        """The file a paper index primarily belongs to."""
        if i < self.n_jsonl:
            return "jsonl", _chunk_of(i, self.n_jsonl, self.files_jsonl)
        if i < self.n_titled:
            return "profile", _chunk_of(i - self.n_jsonl, self.n_profile, self.files_profile)
        return "abstracts", _chunk_of(i - self.n_titled, self.n_abstract_only, self.files_abstracts)

    def second_home(self, i: int) -> tuple[str, int] | None:
        """The other file a repeated titled paper also appears in, or None."""
        if i >= self.n_titled or unit(self.bases[SALT_REPEAT], i) >= REPEAT_RATE:
            return None
        kind, f = self.home(i)
        h = mix64(self.bases[SALT_REPEAT] ^ i)
        same_kind_files = self.files_jsonl if kind == "jsonl" else self.files_profile
        choices = []
        if same_kind_files > 1:
            choices.append((kind, (f + 1 + h % (same_kind_files - 1)) % same_kind_files))
        other = "profile" if kind == "jsonl" else "jsonl"
        other_files = self.files_profile if other == "profile" else self.files_jsonl
        if other_files:
            choices.append((other, (h >> 20) % other_files))
        return choices[(h >> 40) % len(choices)] if choices else None

    def abstract_home(self, i: int) -> int | None:
        """The abstracts file repeating a titled paper's abstract, or None."""
        if not self.files_abstracts or unit(self.bases[SALT_ABSTRACT], i) >= self.abstract_of_titled_rate:
            return None
        return mix64(self.bases[SALT_ABSTRACT] ^ i) % self.files_abstracts

    def owners(self, i: int) -> list[int]:
        """Person ranks of the profile owners a paper must list (one per profile it is in)."""
        ranks = []
        for where in (self.home(i), self.second_home(i)):
            if where and where[0] == "profile":
                ranks.append(self.owner_rank(where[1]))
        return ranks

    @staticmethod
    def owner_rank(profile: int) -> int:
        """Profile f is owned by person rank f: the most prolific authors own profiles."""
        return profile

    def year(self, i: int) -> int:
        """Publication year, skewed to recent years."""
        k = bisect.bisect(self.year_cum, unit(self.bases[SALT_YEAR], i))
        return YEAR_MIN + min(k, YEAR_MAX - YEAR_MIN)  # min(): float sums may end below 1.0

    def order_key(self, i: int) -> float:
        """Position of a paper inside its files (a fixed shuffle)."""
        return unit(self.bases[SALT_ORDER], i)

    # -- people --
    def _person(self, rank: int) -> tuple[str, str]:
        """Canonical (family, given) of a person; persons are ranks, names a hash of the rank."""
        h = mix64((self.bases[SALT_PERSON] + rank) & M64)
        families, givens, middle_threshold, middles = self.culture_slots[h % CULTURE_SLOTS]
        family = families[(h >> 16) % len(families)]
        given = givens[(h >> 32) % len(givens)]
        if ((h >> 48) & 0xFF) < middle_threshold:
            given = f"{given} {middles[(h >> 56) % len(middles)]}"
        return family, given

    def author_count(self, rng: random.Random) -> int:
        """Authors on a paper: mostly 2-8, a long tail, and rare 100-300 system cards."""
        if rng.random() < SYSTEM_CARD_RATE:
            return rng.randint(SYSTEM_CARD_MIN, SYSTEM_CARD_MAX)
        return 1 + bisect.bisect(self.count_cum, rng.random() * self.count_cum[-1])

    def authors(self, rng: random.Random, owners: list[int]) -> list[tuple[str, str]]:
        """Distinct persons on a paper, Zipf-drawn, with its profile owners included."""
        count, rnd, persons = self.author_count(rng), rng.random, self.persons
        ranks = []
        seen = set(owners)
        tries = 0
        while len(ranks) < count and tries < 4 * count:
            tries += 1
            rank = int(persons * rnd() ** ZIPF_K)
            if rank not in seen:
                seen.add(rank)
                ranks.append(rank)
        names, used, person = [], set(), self.person
        for rank in ranks:
            name = person(rank)
            if name not in used:
                used.add(name)
                names.append(name)
        if count >= SYSTEM_CARD_MIN:
            names.sort(key=lambda n: n[1])  # system cards list people by given name
        for owner in owners:
            name = self.person(owner)
            if name in used:
                names.remove(name)
            pos = len(names) if rnd() < OWNER_LAST_RATE else int(rnd() * (len(names) + 1))
            names.insert(pos, name)
            used.add(name)
        return names

    def paper(self, i: int) -> Paper:
        """The content of paper i, a pure function of (seed, i)."""
        rng = self.rng
        rng.seed(mix64((self.bases[SALT_CONTENT] + i) & M64))
        p = Paper()
        p.index, p.year = i, self.year(i)
        p.abstract = self.vocab.abstract(rng)
        if rng.random() < LATEX_RATE:
            p.abstract = latex_dirt(rng, p.abstract)
        if i >= self.n_titled:
            return p
        p.title = self.vocab.title(rng)
        p.authors = self.authors(rng, self.owners(i))
        big = len(p.authors) >= SYSTEM_CARD_MIN
        p.org = None
        if rng.random() < (ORG_ON_SYSTEM_CARD_RATE if big else ORG_RATE):
            p.org = rng.choice(ORGANISATIONS)
        p.venue = None if rng.random() < NULL_VENUE_RATE else self.venue(rng, p.year)
        p.token = f"{(i * 0x9E3779B97F4B + self.bases[SALT_CONTENT]) % (1 << 40):010x}"
        p.doi = None
        if rng.random() < DOI_RATE:
            p.doi = f"{rng.choice(DOI_PREFIXES)}/{p.year}.{p.token}"
        p.arxiv_id = None
        if p.year >= 2008 and rng.random() < ARXIV_RATE:
            p.arxiv_id = f"{p.year % 100:02d}{i % 12 + 1:02d}.{(i // 12) % 100000:05d}"
        return p

    def venue(self, rng: random.Random, year: int) -> str:
        """A venue name for a year."""
        k = bisect.bisect(self.venue_cum, rng.random() * self.venue_cum[-1])
        return self.venue_names[(min(k, len(VENUES) - 1), year)]

    @staticmethod
    def _venue_name(template: str, year: int) -> str:
        """Fill a venue template for a year (edition numbers follow the real series)."""
        return template.format(
            year=year,
            acl_n=ordinal(year - 1962),
            nips_vol=year - 1987,
            icml_n=ordinal(year - 1983),
            coling_n=ordinal((year - 1960) // 2),
        )

    # -- files --
    def file_name(self, kind: str, f: int) -> str:
        """File name of the f-th file of a kind."""
        return {
            "jsonl": f"papers_{f:05d}.jsonl",
            "profile": f"profile_{f:05d}.txt",
            "abstracts": f"abstracts_{f:05d}.txt",
        }[kind]

    def primaries(self, kind: str, f: int) -> range:
        """Paper indices whose primary home is file f of a kind."""
        start, n, files = {
            "jsonl": (0, self.n_jsonl, self.files_jsonl),
            "profile": (self.n_jsonl, self.n_profile, self.files_profile),
            "abstracts": (self.n_titled, self.n_abstract_only, self.files_abstracts),
        }[kind]
        return range(start + n * f // files, start + n * (f + 1) // files)

    def plan_extras(self) -> dict[tuple[str, int], array]:
        """Repeated papers per file: one pass over the titled indices, compact int arrays."""
        extras = {(kind, f): array("q") for kind, files in self.file_counts().items() for f in range(files)}
        for i in range(self.n_titled):
            where = self.second_home(i)
            if where:
                extras[where].append(i)
            f = self.abstract_home(i)
            if f is not None:
                extras[("abstracts", f)].append(i)
        return extras

    def file_counts(self) -> dict[str, int]:
        """How many files of each kind."""
        return {"jsonl": self.files_jsonl, "profile": self.files_profile, "abstracts": self.files_abstracts}


def _accumulate(values) -> list[float]:
    """Running sums of values."""
    out, total = [], 0.0
    for v in values:
        total += v
        out.append(total)
    return out


def _chunk_of(x: int, n: int, files: int) -> int:
    """Which of `files` even chunks of range(n) holds x."""
    return ((x + 1) * files - 1) // n


def _spanish_families() -> list[str]:
    """Spanish families, some double (`García López`, `Ortiz-Suárez`)."""
    single = split_words(SPANISH_FAMILIES)
    double = [f"{a} {b}" for a, b in zip(single, single[7:] + single[:7])]
    hyphen = [f"{a}-{b}" for a, b in zip(single[::3], single[13::3])]
    return single * 3 + double + hyphen


# --- rendering one record ------------------------------------------------------------------------
def dirty_mentions(rng: random.Random, authors: list[tuple[str, str]]) -> list[tuple[str, str | None]]:
    """Mentions as one source wrote them: variants, mojibake, nulls, swaps, splits, dupes."""
    out = []
    rnd = rng.random
    for family, given in authors:
        if rnd() < VARIANT_RATE:
            family, given = name_variant(rng, family, given)
        if not (family + given).isascii() and rnd() < MOJIBAKE_RATE:
            family, given = mojibake(family) or family, mojibake(given) or given
        r = rnd()
        if r < NULL_GIVEN_RATE:
            out.append((family, None))
        elif r < NULL_GIVEN_RATE + SWAPPED_NAME_RATE:
            out.append((given, family))
        elif r < NULL_GIVEN_RATE + SWAPPED_NAME_RATE + SPLIT_NAME_RATE:
            out.extend([(given, None), (family, None)])
        else:
            out.append((family, given))
    if len(out) >= 2 and rnd() < DUPLICATE_MENTION_RATE:
        out.insert(int(rnd() * (len(out) + 1)), out[int(rnd() * len(out))])
    return out


def profile_record(rng: random.Random, paper: Paper) -> str:
    """Three lines: title, flat `Family, Given, ...` author list, abstract."""
    tokens = [f"{paper.org}, null, :, null"] if paper.org else []
    tokens.extend(f"{fam}, {giv or 'null'}" for fam, giv in dirty_mentions(rng, paper.authors))
    return f"{paper.title}\n{', '.join(tokens)}\n{paper.abstract}\n"


def jsonl_record(rng: random.Random, paper: Paper, source: str) -> str:
    """One JSON line; authors as `Family, Given` strings or, sometimes, objects."""
    mentions = dirty_mentions(rng, paper.authors)
    if rng.random() < OBJECT_AUTHORS_RATE:
        authors = [{"family": fam, "given": giv} for fam, giv in mentions]
        if paper.org:
            authors.insert(0, {"family": paper.org, "given": None})
    else:
        authors = [f"{fam}, {giv}" if giv else fam for fam, giv in mentions]
        if paper.org:
            authors.insert(0, paper.org)
    record = {
        "title": paper.title,
        "authors": authors,
        "abstract": paper.abstract,
        "year": paper.year,
        "venue": paper.venue,
        "doi": paper.doi,
        "arxiv_id": paper.arxiv_id,
        "url": _url(paper, source),
        "source_id": f"{source}:{paper.token}",
    }
    return JSON_ENCODER.encode(record) + "\n"


def _url(paper: Paper, source: str) -> str | None:
    """Landing page URL as the source would give it."""
    if source == "arxiv" and paper.arxiv_id:
        return f"https://arxiv.org/abs/{paper.arxiv_id}"
    if source == "acl":
        return f"https://aclanthology.org/{paper.year}.{paper.token}/"
    if source == "openalex":
        return f"https://openalex.org/W{int(paper.token, 16)}"
    return f"https://doi.org/{paper.doi}" if paper.doi else None


# --- writing files --------------------------------------------------------------------------------
JSON_ENCODER = json.JSONEncoder(ensure_ascii=False)  # reused: json.dumps(**kw) builds one per call
STATE: dict = {}  # corpus, extras and out dir; set before workers fork
WRITE_BATCH = 512  # records per write: ~0.7 MB, few syscalls, flat memory


def write_file(job: tuple[str, int]) -> dict:
    """Write one file (via a temp name, then rename) and return its manifest entry."""
    corpus: Corpus = STATE["corpus"]
    kind, f = job
    extras = STATE["extras"][job]
    members = list(corpus.primaries(kind, f)) + list(extras)
    if kind == "profile":
        members.sort(key=lambda i: (corpus.year(i), corpus.order_key(i)))
    else:
        members.sort(key=corpus.order_key)
    rng = random.Random(salt_base(corpus.seed, SALT_FILE) ^ (hash_kind(kind) << 32 | f))
    name = corpus.file_name(kind, f)
    path = STATE["out"] / name
    tmp = path.with_name(f".{name}.tmp")
    digest, size, buf = hashlib.sha256(), 0, []
    entry = {"file": name, "format": kind, "records": len(members), "repeated_records": len(extras)}
    source = SOURCES[f % len(SOURCES)]
    with open(tmp, "wb") as fh:
        if kind == "profile":
            family, given = corpus.person(corpus.owner_rank(f))
            entry["owner"] = f"{family}, {given}"
            buf.append(f"{family}, {given}\n")
        for i in members:
            paper = corpus.paper(i)
            if kind == "profile":
                buf.append(profile_record(rng, paper))
            elif kind == "jsonl":
                buf.append(jsonl_record(rng, paper, source))
            else:
                buf.append(f"Abstract:{paper.abstract}\n")
            if len(buf) >= WRITE_BATCH:
                size += _flush(fh, digest, buf)
        size += _flush(fh, digest, buf)
    os.replace(tmp, path)
    entry.update(bytes=size, sha256=digest.hexdigest())
    if kind == "jsonl":
        entry["source"] = source
    return entry


def _flush(fh, digest, buf: list[str]) -> int:
    """Write and hash the buffered records, empty the buffer, return the bytes written."""
    data = "".join(buf).encode("utf-8")
    buf.clear()
    fh.write(data)
    digest.update(data)
    return len(data)


def hash_kind(kind: str) -> int:
    """Stable small number per file kind (Python's hash() is salted per process)."""
    return {"jsonl": 1, "profile": 2, "abstracts": 3}[kind]


def clear_old_outputs(out: Path) -> None:
    """Remove files a previous run of this generator left (only its own name patterns)."""
    for child in out.iterdir():
        if child.is_file() and GENERATED_NAME.match(child.name):
            child.unlink()


def generate(
    papers: int,
    out: Path,
    seed: int = DEFAULT_SEED,
    per_file: int = DEFAULT_PAPERS_PER_FILE,
    per_profile: int | None = None,
    stats_path: Path = DEFAULT_STATS,
    jobs: int = 1,
) -> dict:
    """Generate the corpus into `out` and return the manifest."""
    if papers < 1 or per_file < 1 or (per_profile is not None and per_profile < 1):
        raise ValueError("--papers, --papers-per-file and --papers-per-profile must be >= 1")
    per_profile = per_profile or min(per_file, DEFAULT_PAPERS_PER_PROFILE)
    out.mkdir(parents=True, exist_ok=True)
    clear_old_outputs(out)
    corpus = Corpus(papers, seed, per_file, per_profile, load_vocab(Path(stats_path), seed))
    STATE.update(corpus=corpus, extras=corpus.plan_extras(), out=out)
    jobs_list = sorted(STATE["extras"], key=lambda j: -len(corpus.primaries(*j)))
    if jobs > 1 and len(jobs_list) > 1 and "fork" in multiprocessing.get_all_start_methods():
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            entries = pool.map(write_file, jobs_list, chunksize=1)
    else:
        entries = [write_file(job) for job in jobs_list]
    entries.sort(key=lambda e: e["file"])
    manifest = build_manifest(corpus, entries, stats_path)
    (out / ".manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return manifest


def build_manifest(corpus: Corpus, entries: list[dict], stats_path: Path) -> dict:
    """Parameters, rates and per-file counts (no timings, so it is deterministic too)."""
    by_kind = {k: sum(e["records"] for e in entries if e["format"] == k) for k in ("jsonl", "profile", "abstracts")}
    return {
        "generator": "scripts/generate_corpus.py",
        "version": GENERATOR_VERSION,
        "parameters": {
            "papers": corpus.n,
            "seed": corpus.seed,
            "papers_per_file": corpus.per_file,
            "papers_per_profile": corpus.per_profile,
            "stats": stats_path.name,
            "stats_sha256": corpus.vocab.sha256,
        },
        "rates": {
            name: value
            for name, value in globals().items()
            if name.endswith(("_RATE", "_SHARE")) and isinstance(value, float)
        },
        "totals": {
            "files": len(entries),
            "papers": corpus.n,
            "titled_papers": corpus.n_titled,
            "abstract_only_papers": corpus.n_abstract_only,
            "records": sum(by_kind.values()),
            "records_by_format": by_kind,
            "repeated_records": sum(e["repeated_records"] for e in entries),
            "bytes": sum(e["bytes"] for e in entries),
        },
        "files": entries,
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Same (papers, seed, papers-per-file, papers-per-profile, stats) -> "
        "byte-identical files, whatever --jobs is.",
    )
    parser.add_argument(
        "--papers",
        type=int,
        required=True,
        metavar="N",
        help="number of distinct papers to generate (records are ~1.1 N: "
        "repeats across files and abstract-only records)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="DIR",
        help="output directory (created; files of a previous run matching "
        "papers_NNNNN.jsonl, profile_NNNNN.txt, abstracts_NNNNN.txt or "
        ".manifest.json are removed first)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=DEFAULT_SEED,
        metavar="S",
        help=f"random seed; different seeds give different corpora (default {DEFAULT_SEED})",
    )
    parser.add_argument(
        "--papers-per-file",
        type=int,
        default=DEFAULT_PAPERS_PER_FILE,
        metavar="K",
        help="papers per JSONL/abstracts file, at most per profile "
        f"(default {DEFAULT_PAPERS_PER_FILE}; repeats add ~5%%)",
    )
    parser.add_argument(
        "--papers-per-profile",
        type=int,
        default=None,
        metavar="P",
        help="papers per profile dump, each owned by one author (default: the "
        f"smaller of K and {DEFAULT_PAPERS_PER_PROFILE}; real scholar "
        "profiles are 20-1000 papers)",
    )
    parser.add_argument(
        "--stats",
        type=Path,
        default=DEFAULT_STATS,
        metavar="FILE",
        help="word chains and name counts to draw from, as written by "
        "scripts/derive_corpus_stats.py (default: the public ACL sample's, "
        "data/generator/acl_sample_stats.txt.gz)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="J",
        help="worker processes, one file at a time each (default: 1 below "
        "50k papers, else the CPU count); does not change the output",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: generate, write .manifest.json and print a one-line summary."""
    args = parse_args(argv)
    jobs = args.jobs or (1 if args.papers < 50_000 else os.cpu_count() or 1)
    started = time.perf_counter()
    try:
        manifest = generate(
            args.papers, args.out, args.seed, args.papers_per_file, args.papers_per_profile, args.stats, jobs
        )
    except (ValueError, OSError) as exc:
        print(f"generate_corpus: error: {exc}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - started
    totals = manifest["totals"]
    print(
        f"generate_corpus: {totals['files']} files, {totals['papers']} papers, "
        f"{totals['records']} records, {totals['bytes']} bytes, {seconds:.1f} s -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
