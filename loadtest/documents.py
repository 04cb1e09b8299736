"""Realistic résumé and cover-letter requests for the load tests, generated from a seed.

``document(seed, index)`` is the same request every time it is asked for: the warm pool of the
``cached`` scenario is rebuilt identically in the orchestrator and in locust. ``FreshDocuments``
hands out requests nobody has submitted before: each carries a run id and a sequence number (in
the e-mail address, as plus-addressing), so a ``fresh`` document can never hit the cache, not even
the cache of a deployed stack that served an earlier run.

Variety, so the renders cost what real ones do: both document types, every template, both papers,
every spacing; one to five jobs with one to six achievements each, optional sections, letters of
two to five paragraphs; names with accents (pdfTeX prints them) and, in a small share, names in
Greek, Cyrillic, CJK or Vietnamese, which need the Unicode engine (XeTeX, several times slower).
Text carries the characters LaTeX must escape (``&``, ``%``, ``$``, ``#``, ``_``).

Only the standard library: the generator runs anywhere locust does, against any stack.
"""

from __future__ import annotations

import itertools
import random
import threading
import unicodedata
import uuid
from typing import Any

TEMPLATES: dict[str, tuple[str, ...]] = {
    "resume": ("classic", "two_column"),
    "cover_letter": ("classic", "two_column"),
}
"""Every template of each document type (a test checks this against docpipe's catalog)."""

RESUME_SHARE = 0.7
UNICODE_SHARE = 0.05
"""Share of documents whose author's name needs the Unicode engine."""

FIRST_NAMES = (
    "Jordan", "Ava", "Liam", "Sofía", "Noah", "Zoë", "Mateo", "Amélie", "Lucas", "Chloé", "Ethan",
    "Maya", "Oliver", "Hannah", "Rafael", "Ingrid", "Tomás", "Aoife", "Mohammed", "Fatima", "Priya",
    "Arjun", "Kwame", "Amara", "Björn", "Søren", "Łukasz", "Zuzana", "Joaquín", "Inês", "François",
    "Grace", "Daniel", "Elif", "Yusuf", "Nadia", "Samuel", "Leah", "Marco", "Giulia", "Siobhán",
    "Ravi", "Mei", "Hiroshi", "Olga", "Pedro", "Camille", "Emeka", "Chiara", "Dmitri", "Ana",
)  # fmt: skip
LAST_NAMES = (
    "Lee", "García", "Müller", "O'Connor", "Nguyen", "Johansson", "Kowalski", "Rossi", "Dubois",
    "Okafor", "Patel", "Kim", "Smith", "Fernández", "Novák", "Schäfer", "Haddad", "Mensah", "Silva",
    "Jørgensen", "Brennan", "Yılmaz", "Costa", "Andersson", "Papadopoulos", "Ivanova", "Tanaka",
    "Martínez", "Wójcik", "Van der Berg", "Nakamura", "Ahmed", "Byrne", "Moreau", "Santos", "Chen",
    "Rodríguez", "Hernández", "Lindqvist", "Mäkinen", "Dvořák", "Fitzgerald", "Abebe", "Ortiz",
)  # fmt: skip
UNICODE_NAMES = (
    "Δημήτρης Παπαδόπουλος", "Ελένη Γεωργίου", "Анна Смирнова", "Дмитрий Иванов", "王小明", "李娜",
    "佐藤 花子", "김민준", "Nguyễn Thị Lan", "Trần Văn Minh", "Олена Коваленко", "陈静",
)  # fmt: skip
TITLES = (
    "Software Engineer", "Senior Backend Engineer", "Data Scientist", "Product Manager",
    "Site Reliability Engineer", "Frontend Developer", "Engineering Manager", "Data Engineer",
    "Machine Learning Engineer", "UX Designer", "Security Engineer", "Staff Engineer", "QA Engineer",
    "Solutions Architect", "Mobile Developer", "Technical Writer", "DevOps Engineer",
)  # fmt: skip
COMPANIES = (
    "Northwind Payments", "Contoso Analytics", "Fabrikam Cloud", "Tailspin Toys", "Wingtip Logistics",
    "Adventure Works", "Litware Health", "Proseware Labs", "Woodgrove Bank", "Alpine Ski House",
    "Coho Winery", "Lucerne Publishing", "Margie's Travel", "Trey Research", "Blue Yonder Airlines",
    "Humongous Insurance", "Graphic Design Institute", "Fourth Coffee", "Relecloud", "VanArsdel Ltd",
)  # fmt: skip
CITIES = (
    "San Francisco, CA", "Seattle, WA", "Austin, TX", "New York, NY", "Boston, MA", "Chicago, IL",
    "London, UK", "Berlin, Germany", "Dublin, Ireland", "Lisbon, Portugal", "Toronto, Canada",
    "Amsterdam, Netherlands", "Zürich, Switzerland", "Kraków, Poland", "São Paulo, Brazil",
    "Bengaluru, India", "Lagos, Nigeria", "Stockholm, Sweden", "Remote",
)  # fmt: skip
UNIVERSITIES = (
    "University of Washington", "Université de Montréal", "Technische Universität München",
    "University of Lagos", "Universidad de Buenos Aires", "Trinity College Dublin", "ETH Zürich",
    "University of Texas at Austin", "KTH Royal Institute of Technology", "Jagiellonian University",
    "Indian Institute of Technology Bombay", "University of Toronto", "Universidade de Lisboa",
)  # fmt: skip
DEGREES = (
    "B.S. in Computer Science", "M.S. in Computer Science", "B.Eng. in Software Engineering",
    "M.Sc. in Data Science", "B.A. in Mathematics", "Ph.D. in Physics", "B.Sc. in Economics",
    "M.Eng. in Electrical Engineering", "B.Des. in Interaction Design",
)  # fmt: skip
FOCUSES = (
    "Distributed systems; minor in Mathematics", "Machine learning & statistics",
    "Human-computer interaction", "Databases and information retrieval", "Computer security",
    "Numerical methods", "Operations research",
)  # fmt: skip
COURSES = (
    "Distributed Systems", "Databases", "Compilers", "Algorithms", "Operating Systems",
    "Machine Learning", "Computer Networks", "Linear Algebra", "Statistics", "Cryptography",
    "Computer Graphics", "Software Engineering",
)  # fmt: skip
VERBS = (
    "Designed", "Built", "Led", "Migrated", "Rewrote", "Automated", "Introduced", "Scaled",
    "Shipped", "Optimised", "Mentored", "Launched", "Reduced", "Owned", "Standardised",
)  # fmt: skip
THINGS = (
    "an event-driven settlement pipeline on SQS & Lambda",
    "the Redis-backed caching layer for dashboard queries",
    "a feature store serving 40 ML models",
    "the CI/CD pipeline (GitHub Actions, 120 services)",
    "a multi-region PostgreSQL failover runbook",
    "the customer-facing REST & GraphQL APIs",
    "an A/B testing platform used by 14 product teams",
    "the on-call rotation and incident review process",
    "a design system of 60 accessible React components",
    "the data warehouse's ingestion jobs (dbt, Airflow)",
    "a Kubernetes platform for 300 micro-services",
    "the mobile app's offline sync engine",
    "the fraud-detection rules engine",
    "a search service over 2B documents",
    "the billing system's snake_case to camelCase API migration",
)  # fmt: skip
RESULTS = (
    "cutting p99 latency by {pct}%",
    "saving ${money}k a year in infrastructure cost",
    "raising conversion by {small}%",
    "processing {big}M events a day with exactly-once effects",
    "reducing incidents from {small} a month to 0",
    "serving {pct}% of requests in under 5 ms",
    "bringing deploys from weekly to {small} times a day",
    "used by {big}k customers in {small} countries",
    "as issue #{issue} of the roadmap, delivered ahead of schedule",
)  # fmt: skip
SKILL_GROUPS = {
    "Languages": ("Python", "Go", "SQL", "TypeScript", "Java", "Kotlin", "Rust", "C#", "C++", "Scala"),
    "Cloud": ("AWS Lambda", "SQS", "DynamoDB", "S3", "CDK", "ElastiCache", "GCP", "Azure", "Terraform"),
    "Data": ("PostgreSQL", "Redis", "Kafka", "Spark", "dbt", "Airflow", "Snowflake", "Elasticsearch"),
    "Practices": ("Event-driven design", "Observability", "Load testing", "TDD", "Code review", "SRE"),
    "Tools": ("Docker", "Kubernetes", "Git", "Grafana", "Prometheus", "Figma", "Jira", "LaTeX"),
}
CERTIFICATIONS = (
    "AWS Certified Solutions Architect – Professional", "Certified Kubernetes Administrator",
    "Google Professional Data Engineer", "PMP", "CISSP", "Azure Developer Associate",
)  # fmt: skip
LANGUAGES = (
    "English (native)", "Spanish (professional)", "French (fluent)", "German (B2)",
    "Portuguese (native)", "Mandarin (conversational)", "Polish (native)", "Hindi (native)",
)  # fmt: skip
AWARDS = (
    "Engineering Excellence Award, {year}", "Hackathon winner (1st of 48 teams), {year}",
    "Dean's List, {year}", "Speaker at PyCon, {year}", "Patent US {patent} (pending)",
)  # fmt: skip
PROJECT_NAMES = (
    "tinyqueue", "pdfdiff", "kvlite", "gridplan", "shelfscan", "routewise", "logsift", "typeset-ci",
)  # fmt: skip
PROJECT_DESCRIPTIONS = (
    "A 600-line durable job queue on SQLite with at-least-once delivery and visibility timeouts.",
    "Compares two PDFs page by page and reports visual & text differences.",
    "An embedded key-value store with a write-ahead log and snapshots.",
    "Plans seating for events of up to 5,000 guests with constraint solving.",
    "Reads book spines from a phone photo and builds a searchable catalogue.",
)  # fmt: skip
LETTER_OPENINGS = (
    "I am writing to apply for the {role} role at {company}. For the past {years} years I have built "
    "and operated systems where correctness matters as much as speed.",
    "When I read that {company} is hiring a {role}, I recognised the problems you describe: I have "
    "spent {years} years solving them at scale.",
    "Please accept my application for the position of {role} at {company}.",
)  # fmt: skip
LETTER_MIDDLES = (
    "At {previous} I {verb_lower} {thing}, {result}. The work taught me to measure before optimising "
    "and to write down every decision and its reason.",
    "Most recently I {verb_lower} {thing}, {result}; before that I {verb_lower2} {thing2}.",
    "I care about the people who use what I build: I have run user interviews, written documentation "
    "that support teams rely on, and answered pages at 3 a.m. without blaming anyone.",
    "My colleagues describe me as calm under pressure. During a regional outage I coordinated 5 teams "
    "& restored service within 40 minutes, then led the blameless review.",
)  # fmt: skip
LETTER_CLOSINGS = (
    "{company}'s focus on developer experience resonates with me. I would welcome the chance to bring "
    "the same rigour to your team.",
    "I would be glad to discuss how my experience could help {company}. Thank you for your time.",
    "Thank you for considering my application; I look forward to hearing from you.",
)  # fmt: skip


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _slug(name: str) -> str:
    parts = ["".join(ch for ch in _ascii(part) if ch.isalnum()) for part in name.split()]
    return ".".join(p for p in parts if p) or "applicant"


class _Writer:
    """Draws one document's content from its own random stream."""

    def __init__(self, rng: random.Random, unicode_share: float) -> None:
        self.rng = rng
        self.unicode_share = unicode_share

    def pick(self, values: tuple[str, ...]) -> str:
        return self.rng.choice(values)

    def numbers(self) -> dict[str, int]:
        r = self.rng
        return {
            "pct": r.randint(12, 93),
            "money": r.randint(40, 900),
            "small": r.randint(2, 12),
            "big": r.randint(2, 90),
            "issue": r.randint(100, 9999),
        }

    def achievement(self) -> str:
        result = self.pick(RESULTS).format(**self.numbers())
        return f"{self.pick(VERBS)} {self.pick(THINGS)}, {result}."

    def name(self) -> str:
        if self.rng.random() < self.unicode_share:
            return self.pick(UNICODE_NAMES)
        middle = f" {self.pick(FIRST_NAMES)}" if self.rng.random() < 0.15 else ""
        return f"{self.pick(FIRST_NAMES)}{middle} {self.pick(LAST_NAMES)}"

    def personal_info(self, name: str, mailbox: str | None) -> dict[str, Any]:
        r = self.rng
        slug = _slug(name) if _ascii(name).strip() else f"applicant{r.randint(10, 99)}"
        local = f"{slug}+{mailbox}" if mailbox else slug
        info: dict[str, Any] = {
            "name": name,
            "email": f"{local}@{self.pick(('example.com', 'example.org', 'mail.example.net'))}",
        }
        if r.random() < 0.9:
            info["phone"] = f"+1 ({r.randint(201, 989)}) 555-{r.randint(100, 199):04d}"
        if r.random() < 0.9:
            info["location"] = self.pick(CITIES)
        if r.random() < 0.5:
            info["website"] = f"https://{slug.replace('.', '')}.dev"
        if r.random() < 0.6:
            info["linkedin"] = f"https://www.linkedin.com/in/{slug.replace('.', '-')}"
        if r.random() < 0.5:
            info["github"] = f"https://github.com/{slug.replace('.', '')}"
        return info

    def dates(self, end_year: int) -> tuple[str, str, int]:
        r = self.rng
        years = r.randint(1, 5)
        start_year = end_year - years
        return f"{start_year}-{r.randint(1, 12):02d}", f"{end_year}-{r.randint(1, 12):02d}", start_year

    def resume(self, name: str, mailbox: str | None) -> dict[str, Any]:
        # The random draws happen in one fixed order: a seed always gives the same document.
        r = self.rng
        info = self.personal_info(name, mailbox)
        info["title"] = self.pick(TITLES)
        seniority = r.choices((1, 2, 3, 4, 5), weights=(2, 4, 4, 3, 1))[0]
        data: dict[str, Any] = {"personalInfo": info}
        if r.random() < 0.8:
            data["professionalSummary"] = (
                f"{info['title']} with {seniority * 2 + r.randint(0, 3)} years of experience. "
                f"{self.achievement()} {self.achievement() if r.random() < 0.5 else ''}"
            ).strip()
        data["experience"], year = self._experience(seniority)
        data["education"] = self._education(year)
        if r.random() < 0.5:
            data["projects"] = self._projects()
        data["technologiesAndSkills"] = self._skills()
        data.update(self._extras())
        return data

    def _experience(self, seniority: int) -> tuple[list[dict[str, Any]], int]:
        r = self.rng
        experience, year = [], 2026
        for position in range(seniority):
            start, end, year = self.dates(year)
            job: dict[str, Any] = {
                "title": self.pick(TITLES),
                "company": self.pick(COMPANIES),
                "location": self.pick(CITIES),
                "startDate": start,
                "endDate": "Present" if position == 0 and r.random() < 0.7 else end,
                "achievements": [self.achievement() for _ in range(r.randint(1, 6))],
            }
            if r.random() < 0.3:
                job["url"] = f"https://{_slug(job['company']).replace('.', '')}.example.com"
            experience.append(job)
        return experience, year

    def _education(self, year: int) -> list[dict[str, Any]]:
        r = self.rng
        return [
            {
                "degree": self.pick(DEGREES),
                "institution": self.pick(UNIVERSITIES),
                "location": self.pick(CITIES),
                "startDate": f"{year - 4 - 4 * i}-09",
                "endDate": f"{year - 4 * i}-06",
                **({"focus": self.pick(FOCUSES)} if r.random() < 0.5 else {}),
                **({"notableCourseWorks": r.sample(COURSES, r.randint(2, 5))} if r.random() < 0.4 else {}),
            }
            for i in range(r.choices((1, 2), weights=(3, 1))[0])
        ]

    def _projects(self) -> list[dict[str, Any]]:
        r = self.rng
        return [
            {
                "name": project,
                "url": f"https://github.com/example/{project}",
                "description": self.pick(PROJECT_DESCRIPTIONS),
                "tools": r.sample(SKILL_GROUPS["Languages"], 2) + r.sample(SKILL_GROUPS["Tools"], 1),
                "achievements": [f"{r.randint(1, 9)}.{r.randint(0, 9)}k GitHub stars."],
            }
            for project in r.sample(PROJECT_NAMES, r.randint(1, 3))
        ]

    def _skills(self) -> list[Any]:
        r = self.rng
        groups = r.sample(sorted(SKILL_GROUPS), r.randint(2, 4))
        if r.random() < 0.8:
            return [{"category": g, "skills": r.sample(SKILL_GROUPS[g], r.randint(3, 6))} for g in groups]
        return [s for g in groups for s in r.sample(SKILL_GROUPS[g], 2)]

    def _extras(self) -> dict[str, Any]:
        """The optional sections after the skills, each drawn in turn."""
        r = self.rng
        extras: dict[str, Any] = {}
        if r.random() < 0.4:
            extras["certifications"] = [
                {"name": c, "date": f"{r.randint(2018, 2025)}-{r.randint(1, 12):02d}"}
                for c in r.sample(CERTIFICATIONS, r.randint(1, 2))
            ]
        if r.random() < 0.5:
            extras["languages"] = r.sample(LANGUAGES, r.randint(1, 3))
        if r.random() < 0.3:
            extras["awardsAndHonors"] = [
                self.pick(AWARDS).format(year=r.randint(2015, 2025), patent=r.randint(10_000, 99_999))
                for _ in range(r.randint(1, 2))
            ]
        if r.random() < 0.2:
            extras["articlesAndPublications"] = [
                {
                    "title": f"{self.pick(VERBS)} {self.pick(THINGS)}",
                    "date": f"{r.randint(2019, 2025)}-{r.randint(1, 12):02d}",
                    "url": f"https://blog.example.com/posts/{r.randint(100, 999)}",
                }
            ]
        if r.random() < 0.2:
            extras["volunteering"] = [
                {
                    "role": "Mentor",
                    "organization": self.pick(("Code Club", "Girls Who Code", "Hack the Hood")),
                    "startDate": str(r.randint(2015, 2024)),
                    "description": "Weekly sessions teaching Python & web basics to 10-14 year-olds.",
                }
            ]
        return extras

    def cover_letter(self, name: str, mailbox: str | None) -> dict[str, Any]:
        r = self.rng
        company, role = self.pick(COMPANIES), self.pick(TITLES)
        fill = {
            "company": company,
            "role": role,
            "years": r.randint(2, 15),
            "previous": self.pick(COMPANIES),
            "verb_lower": self.pick(VERBS).lower(),
            "verb_lower2": self.pick(VERBS).lower(),
            "thing": self.pick(THINGS),
            "thing2": self.pick(THINGS),
            "result": self.pick(RESULTS).format(**self.numbers()),
        }
        body = [self.pick(LETTER_OPENINGS).format(**fill)]
        body += [m.format(**fill) for m in r.sample(LETTER_MIDDLES, r.randint(1, 3))]
        body.append(self.pick(LETTER_CLOSINGS).format(**fill))
        data: dict[str, Any] = {
            "personalInfo": self.personal_info(name, mailbox),
            # Always dated: an undated letter is dated today, so its cache key would change daily.
            "date": f"2026-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}",
            "body": body,
        }
        if r.random() < 0.8:
            recipient = self.pick(FIRST_NAMES) + " " + self.pick(LAST_NAMES)
            data["recipient"] = {
                "name": recipient,
                "title": self.pick(("Director of Engineering", "Head of Talent", "Hiring Manager", "CTO")),
                "company": company,
                "address": [f"{r.randint(1, 999)} Market Street", self.pick(CITIES)],
            }
            data["salutation"] = f"Dear {recipient.split()[0]},"
        if r.random() < 0.5:
            data["closing"] = self.pick(("Sincerely,", "Kind regards,", "Best regards,"))
        return data


def document(
    seed: int | str, index: int, *, mailbox: str | None = None, unicode_share: float = UNICODE_SHARE
) -> dict[str, Any]:
    """Request ``index`` of the stream named by ``seed``: the same dict for the same arguments.

    ``mailbox`` goes into the e-mail address (``name+mailbox@…``) and makes the request unique.
    """
    rng = random.Random(f"docpipe-loadtest:{seed}:{index}")
    writer = _Writer(rng, unicode_share)
    document_type = "resume" if rng.random() < RESUME_SHARE else "cover_letter"
    name = writer.name()
    data = writer.resume(name, mailbox) if document_type == "resume" else writer.cover_letter(name, mailbox)
    return {
        "document_type": document_type,
        "template": rng.choice(TEMPLATES[document_type]),
        "format": "pdf",
        "options": {
            "paper": rng.choices(("letter", "a4"), weights=(3, 2))[0],
            "spacing": rng.choices(("normal", "compact", "ultra-compact"), weights=(6, 3, 1))[0],
        },
        "data": data,
    }


def pool(seed: int | str, size: int, *, unicode_share: float = UNICODE_SHARE) -> list[dict[str, Any]]:
    """The warm set of the ``cached`` and ``mixed`` scenarios: rendered once, then only looked up."""
    return [document(seed, i, unicode_share=unicode_share) for i in range(size)]


class FreshDocuments:
    """Requests never submitted before, anywhere: ``run_id`` (random unless given) + a sequence number.

    Safe to share between locust users (greenlets) and threads.
    """

    def __init__(
        self, seed: int | str, run_id: str | None = None, *, unicode_share: float = UNICODE_SHARE
    ) -> None:
        self.seed = seed
        self.run_id = run_id or uuid.uuid4().hex[:12]
        self.unicode_share = unicode_share
        self._counter = itertools.count()
        self._lock = threading.Lock()

    def next(self) -> dict[str, Any]:
        with self._lock:
            n = next(self._counter)
        # The content stream is offset far from the pool's indexes, so fresh documents look like
        # new people, not like pool documents with another e-mail address.
        return document(
            self.seed, 1_000_000 + n, mailbox=f"{self.run_id}-{n}", unicode_share=self.unicode_share
        )


def needs_unicode_engine(request: dict[str, Any]) -> bool:
    """Whether the author's name is outside what pdfTeX prints (our generator's only such text)."""
    return request["data"]["personalInfo"]["name"] in UNICODE_NAMES
