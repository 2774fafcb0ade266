"""The README at the top of a personal-data archive: what is in it, for the person and for a machine."""

from __future__ import annotations

from deskpilot.personal_data import Person, Section


def readme(sections: list[Section], *, person: Person, made_at: str, made_by: str, missing: list[str]) -> str:
    lines = [
        f"# Personal data held by the service desk about {person.full_name}",
        "",
        f"- Person: {person.full_name} (username `{person.username}`, e-mail {person.email}, "
        f"user id {person.user_id})",
        f"- Made at {made_at} (UTC) by {made_by}, as an answer to a request of access (GDPR Art. 15).",
        "- Format: one JSON file per kind of record (UTF-8, a list of objects, times in ISO 8601 UTC), the "
        "files as the desk stored them under each section's `files/`, and `manifest.json` with the SHA-256 of "
        "every file in this archive.",
        "- Left out on purpose: password and token hashes, reset codes and other secrets of the desk's own "
        "security; they cannot be read back into anything personal.",
        "",
        "| section | what it holds | records |",
        "|---|---|---|",
    ]
    for section in sections:
        counts = ", ".join(f"{kind}: {len(rows)}" for kind, rows in section.records.items()) or "none"
        lines.append(f"| `{section.name}/` | {section.description} | {counts} |")
    if missing:
        lines += ["", "Files the records refer to that were no longer on disk when this archive was made:", ""]
        lines += [f"- `{name}`" for name in missing]
    return "\n".join(lines) + "\n"
