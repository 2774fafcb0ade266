"""Data-protection rights of one person across every owner of data: access (export) today, erasure next.

Each owner of personal data (an area, a channel) describes what it holds about a person as a `Section`
through a `PersonalDataSource`; this flow gathers the sections and never reads an owner's tables itself.
"""
