"""Build the sample library's PDF evidence: a SOC 2 bridge letter and a system description.

Real evidence folders are mostly PDF, so the sample library needs some to show (and test)
that qfill quotes PDF text with its page and heading. The text below is original,
written for the fictional Northwind Ledger. The PDFs are written by a small PDF 1.4
writer here (standard Helvetica fonts, no images, no dates), so the files are byte for
byte the same on every run and nothing beyond the standard library is needed:

    python examples/make_evidence_pdfs.py

Markup of the source text: ``# `` a title, ``## `` a section heading, ``- `` a list item,
a blank line ends a paragraph (line breaks inside one are spaces), ``---`` starts a
new page.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

REPORTS = Path(__file__).resolve().parent.parent / "evidence" / "reports"

BRIDGE_LETTER = """\
# SOC 2 bridge letter, 2026-10-01 to 2026-11-30

Northwind Ledger Ltd, 12 Harbour Row, London, United Kingdom

Date: 2026-12-02

To: Customers and prospective customers of the Northwind Ledger platform

## Purpose of this letter

Our most recent SOC 2 Type II report covers the period 2025-10-01 to 2026-09-30 and was
issued by Harrow & Vale LLP on 2026-11-06. This letter covers the gap between the end of
that period and 2026-11-30, until the next report is issued.

## Management representations

For the period 2026-10-01 to 2026-11-30, management of Northwind Ledger represents that:

- There have been no material changes to the system described in section 3 of the SOC 2 Type
II report, including its infrastructure, software, people, procedures and data.

- There have been no material changes to the design or operating effectiveness of the
controls that support the Security, Availability and Confidentiality trust services
criteria.

- We are not aware of any security incident that resulted in unauthorised access to customer
data during the bridge period.

- The subservice organisations in the carve-out (Amazon Web Services, Datadog and Okta)
remain the same, and their own SOC 2 reports were reviewed by the security team in October
2026.

## Next examination

The next SOC 2 Type II examination covers 2026-10-01 to 2027-09-30. We expect the report to
be available to customers in November 2027.

## Limitations

This letter is a representation of management. It is not an opinion of the service auditor,
and it should be read together with the SOC 2 Type II report. This letter is valid until
2027-03-31.

Signed for Northwind Ledger Ltd by Priya Raman, Chief Information Security Officer.
"""

SYSTEM_DESCRIPTION = """\
# SOC 2 system description (excerpt)

Northwind Ledger cloud accounting and invoicing platform. Excerpt of section 3 of the SOC 2
Type II report for 2025-10-01 to 2026-09-30, shared with the report's permission for use in
security questionnaires.

## 3.1 Services provided

Northwind Ledger provides a multi-tenant software-as-a-service platform for accounting,
invoicing and payment reconciliation to small and medium-sized businesses. Customers reach
the platform through a web application, mobile applications and a public REST API.

## 3.2 Infrastructure

The platform runs on Amazon Web Services in the eu-west-1 (Ireland) and us-east-1 (Virginia)
regions. Each customer's data is stored in the region chosen at sign-up and is not moved
between regions. Production workloads run in containers on Amazon EKS across three
availability zones in each region.

Production data is stored in Amazon Aurora PostgreSQL and Amazon S3. Storage volumes,
database snapshots and backups are encrypted with AES-256 using keys held in AWS KMS.

---

## 3.3 Software and change management

Source code is held in GitHub. Every change to production is made through a pull request
that is approved by a second engineer and passes automated tests and static analysis before
it can be merged. Deployments are made by the CI/CD pipeline only; engineers have no
standing write access to production.

## 3.4 People

The platform is operated by the engineering, site reliability and security teams. The Chief
Information Security Officer reports to the Chief Executive Officer and presents the
security programme to the board every quarter.

## 3.5 Data

Customer data includes ledger entries, invoices, contacts and bank transaction records
imported by customers. Northwind Ledger acts as a processor of the personal data in customer
data. Cardholder data is not stored: card payments are handled by Stripe.

## 3.6 Complementary user entity controls

Customers are responsible for managing their own users and roles, for configuring single
sign-on where they use it, for reviewing the audit log of their tenant, and for the accuracy
of the data they import.
"""

DOCUMENTS = {
    "soc2-bridge-letter-2026-11.pdf": BRIDGE_LETTER,
    "soc2-system-description.pdf": SYSTEM_DESCRIPTION,
}

# --------------------------------------------------------------------------- layout

PAGE_WIDTH, PAGE_HEIGHT, MARGIN = 595, 842, 64
STYLES = {  # kind -> (font, size, space before)
    "title": ("F2", 16.0, 0.0),
    "heading": ("F2", 12.5, 10.0),
    "body": ("F1", 10.0, 6.0),
}
# Approximate Helvetica advance widths (1/1000 em), for wrapping only.
_NARROW = set("ijl.,:;'!|()[]f t") | {" "}
_WIDE = set("mwMW@%")


def _width(text: str, size: float, bold: bool) -> float:
    units = sum(280 if c in _NARROW else 860 if c in _WIDE else 680 if c.isupper() else 560
                for c in text)
    return units * size / 1000 * (1.06 if bold else 1.0)


def _wrap(text: str, size: float, bold: bool, width: float) -> list[str]:
    lines: list[str] = []
    for chunk in textwrap.wrap(text, 200) or [""]:
        current = ""
        for word in chunk.split(" "):
            trial = f"{current} {word}".strip()
            if current and _width(trial, size, bold) > width:
                lines.append(current)
                current = word
            else:
                current = trial
        lines.append(current)
    return lines


def _layout(source: str) -> list[list[tuple[str, float, float, float, str]]]:
    """Pages of (font, size, x, y, text) lines."""
    pages: list[list[tuple[str, float, float, float, str]]] = [[]]
    y = PAGE_HEIGHT - MARGIN
    for paragraph in source.split("\n\n"):
        text = " ".join(paragraph.split())
        if text == "---":
            pages.append([])
            y = PAGE_HEIGHT - MARGIN
            continue
        kind, indent, bullet = "body", 0.0, ""
        if text.startswith("# "):
            kind, text = "title", text[2:]
        elif text.startswith("## "):
            kind, text = "heading", text[3:]
        elif text.startswith("- "):
            indent, bullet, text = 14.0, "- ", text[2:]
        font, size, before = STYLES[kind]
        y -= before
        width = PAGE_WIDTH - 2 * MARGIN - indent
        for n, line in enumerate(_wrap(text, size, font == "F2", width)):
            leading = size * 1.35
            if y - leading < MARGIN:
                pages.append([])
                y = PAGE_HEIGHT - MARGIN
            y -= leading
            shown = (bullet + line) if n == 0 else line
            x = MARGIN + (indent - (10.0 if bullet and n == 0 else 0.0))
            pages[-1].append((font, size, x, y, shown))
    return pages


# --------------------------------------------------------------------------- PDF objects


def _pdf_string(text: str) -> bytes:
    data = text.encode("cp1252")
    return b"(" + data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def render_pdf(source: str, title: str) -> bytes:
    """A PDF 1.4 file of ``source``: deterministic bytes (no dates, no random ids)."""
    pages = _layout(source)
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in below, once the page tree's number is known
    tree = add(b"")
    regular = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
                  b"/Encoding /WinAnsiEncoding >>")
    bold = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold "
               b"/Encoding /WinAnsiEncoding >>")
    kids = []
    for lines in pages:
        stream = b"".join(
            b"BT /%s %.1f Tf 1 0 0 1 %.2f %.2f Tm %s Tj ET\n"
            % (font.encode(), size, x, y, _pdf_string(text))
            for font, size, x, y, text in lines)
        content = add(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream) + 1, stream))
        kids.append(add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %d %d] "
                        b"/Resources << /Font << /F1 %d 0 R /F2 %d 0 R >> >> "
                        b"/Contents %d 0 R >>"
                        % (tree, PAGE_WIDTH, PAGE_HEIGHT, regular, bold, content)))
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % tree
    objects[tree - 1] = (b"<< /Type /Pages /Kids [%s] /Count %d >>"
                         % (b" ".join(b"%d 0 R" % k for k in kids), len(kids)))
    info = add(b"<< /Title %s /Producer (qfill sample library) >>" % _pdf_string(title))
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += (b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(objects) + 1, catalog, info, xref))
    return bytes(out)


def main() -> None:
    for name, source in DOCUMENTS.items():
        title = source.splitlines()[0].removeprefix("# ")
        (REPORTS / name).write_bytes(render_pdf(source, title))
        print(f"wrote {REPORTS / name}")


if __name__ == "__main__":
    main()
