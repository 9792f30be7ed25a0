"""The words the seed builds names and notes from: fixed lists, so a seed number means the same
organisation on every machine."""

from __future__ import annotations

__all__ = [
    "CLIENT_PREFIXES",
    "CLIENT_SUFFIXES",
    "ENTRY_NOTES",
    "FIRST_NAMES",
    "INTERNAL_PROJECTS",
    "LAST_NAMES",
    "PITCH_PROJECTS",
    "PULSE_NOTES",
    "RETAINER_PROJECTS",
    "TASK_TITLES",
    "TEAM_NAMES",
    "TERM_PROJECTS",
    "TM_PROJECTS",
]

FIRST_NAMES = (
    "Ada", "Alan", "Amara", "Anya", "Arjun", "Ben", "Bilal", "Carmen", "Chen", "Chloe",
    "Dara", "David", "Elena", "Emeka", "Erik", "Fatima", "Felix", "Grace", "Hana", "Hugo",
    "Ines", "Isaac", "Jade", "Jonas", "Kai", "Keiko", "Lars", "Leila", "Lucia", "Marco",
    "Maya", "Mei", "Nadia", "Nikhil", "Noah", "Olga", "Omar", "Priya", "Rafael", "Rosa",
    "Sam", "Sara", "Sofia", "Tariq", "Tess", "Theo", "Uma", "Victor", "Wen", "Yara",
    "Yusuf", "Zoe", "Ivo", "Kofi", "Lena", "Mateo", "Nora", "Oskar", "Paula", "Ravi",
)  # fmt: skip

LAST_NAMES = (
    "Abbott", "Adeyemi", "Alvarez", "Bauer", "Becker", "Brennan", "Castro", "Chowdhury",
    "Costa", "Dubois", "Eriksen", "Fischer", "Fontaine", "Garcia", "Haddad", "Hansen",
    "Ito", "Jensen", "Kaur", "Kowalski", "Larsen", "Lindqvist", "Lopez", "Mahmoud",
    "Martin", "Meyer", "Moreau", "Murphy", "Nakamura", "Novak", "Okafor", "Olsen",
    "Patel", "Petrov", "Quinn", "Rahman", "Rossi", "Sato", "Schmidt", "Silva",
    "Singh", "Sousa", "Tanaka", "Torres", "Varga", "Vogel", "Wagner", "Walsh",
    "Weber", "Yilmaz", "Young", "Zhang", "Ziegler", "Byrne", "Horvat", "Kim",
    "Lund", "Mensah", "Park", "Reyes",
)  # fmt: skip

TEAM_NAMES = (
    "Brand", "Web", "Mobile", "Data", "Content", "Growth", "Platform", "Strategy",
    "Experience Design", "Commerce", "Analytics", "Cloud", "Performance Media", "Social",
    "Motion", "CRM", "Search", "Product", "Research", "Quality", "Accessibility",
    "Automation", "Video", "Partnerships", "Localisation", "Security", "Integration",
    "Service Design", "Editorial", "DevOps",
)  # fmt: skip

CLIENT_PREFIXES = (
    "Northwind", "Bluebird", "Copperleaf", "Harbour", "Evergreen", "Juniper", "Kestrel",
    "Lumen", "Meridian", "Nimbus", "Oakridge", "Pioneer", "Quarry", "Redwood", "Saltmarsh",
    "Tidewater", "Umber", "Vantage", "Willow", "Yarrow", "Alder", "Beacon", "Cobalt",
    "Driftwood", "Ember", "Fjord", "Granite", "Heron", "Indigo", "Jasper", "Kingfisher",
    "Larch", "Marlin", "Nettle", "Orchard", "Pebble", "Quill", "Rowan", "Sable", "Thistle",
)  # fmt: skip

CLIENT_SUFFIXES = (
    "Foods", "Labs", "Group", "Health", "Bank", "Logistics", "Energy", "Studios",
    "Insurance", "Retail", "Travel", "Foundation", "Motors", "Media", "Partners",
)  # fmt: skip

RETAINER_PROJECTS = (
    "Support retainer", "SEO retainer", "Content retainer", "Platform care",
    "Growth retainer", "Design retainer",
)  # fmt: skip

TERM_PROJECTS = (
    "Website rebuild", "Brand refresh", "App launch", "Data migration", "Checkout redesign",
    "Design system", "Intranet", "Campaign microsite", "Accessibility audit", "CMS upgrade",
)  # fmt: skip

TM_PROJECTS = (
    "Consulting", "Discovery", "Analytics support", "Engineering support", "UX research",
    "Cloud operations", "Product team",
)  # fmt: skip

PITCH_PROJECTS = ("Pitch", "Proposal")

INTERNAL_PROJECTS = (
    "Internal: Admin", "Internal: Training", "Internal: Business development",
    "Internal: Recruitment", "Internal: Tooling", "Internal: Knowledge sharing",
    "Internal: Marketing", "Internal: Hack days", "Internal: Mentoring", "Internal: Website",
)  # fmt: skip

ENTRY_NOTES = (
    "", "", "", "Stand-up", "Design review", "Client call", "Implementation", "Bug fixing",
    "Code review", "Planning", "Workshop", "Research", "Copy edits", "QA pass", "Deployment",
    "Documentation", "Estimation", "Wireframes", "Reporting", "Email and admin",
)  # fmt: skip

TASK_TITLES = (
    "Send the weekly report", "Review the staging build", "Prepare the workshop deck",
    "Update the project plan", "Fix the contact form", "Draft the release notes",
    "Check analytics tagging", "Book the retro", "Chase feedback on wireframes",
    "Migrate the image library", "Write acceptance criteria", "Audit page speed",
    "Refresh the style guide", "Plan next sprint", "Reconcile the budget",
)  # fmt: skip

PULSE_NOTES = {
    "green": ("All good", "Happy with progress", "Great feedback on the last release", ""),
    "amber": ("Timeline concerns", "Scope creep on the current phase", "Slow client feedback"),
    "red": ("Escalation from the client", "Missed a deadline", "Budget dispute"),
}
