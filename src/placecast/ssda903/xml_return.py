"""Reading a return in the DfE's XML form (``EXPSSDA903``, as councils' case systems export it for the DfE's
collection) into the same tables as the CSV files: Header, UASC, Episodes, Reviews, Missing, PrevPerm, AD1,
PlacedAdoption, OC2 and OC3. Each row's line is its element's line in the file, so every finding names it, and
a finding about one cell is then moved to its own element's line (:func:`cell_lines`).

The structure (the DfE's 2021 schema): ``EXPSSDA903`` holds one ``CHILD`` per child, each with one ``HEADER``
(CHILDID, UPN, SEX, DOB, ETHNIC, UASC, DUC, the adoption, care-leaver and mother fields, and the repeated
``AMISSING``, ``AREVIEW`` and ``AD_PLACED`` and the single ``PERMANENCE`` and ``OC2`` groups) and its
``EPISODE`` elements (DECOM, RNE, LS, CIN, PL, PL_POST, HOME_POST, URN, PLACE_PROVIDER, DEC, REC,
REASON_PLACE_CHANGE). The file is parsed without resolving entities or fetching anything (a return from
outside cannot make the parser read other files or expand itself without bound).
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pandas as pd

from placecast.errors import UnusableInputError
from placecast.ssda903.findings import Finding, finding
from placecast.ssda903.read import LINE
from placecast.ssda903.tables import TABLE_COLUMNS

EPISODE_TAGS = {"PL": "PLACE"}  # the XML's own names for the tables' columns; the rest are the same
TAG_OF = {column: tag for tag, column in EPISODE_TAGS.items()}
# the groups inside a HEADER, and the table each is a row of
GROUPS = {"AREVIEW": "Reviews", "AMISSING": "Missing", "AD_PLACED": "PlacedAdoption", "PERMANENCE": "PrevPerm",
          "OC2": "OC2"}
HEADER_FIELDS = {"CHILDID", "UPN", "SEX", "DOB", "ETHNIC", "UASC", "DUC", "MOTHER", "MC_DOB",
                 *TABLE_COLUMNS["AD1"][2:], *TABLE_COLUMNS["OC3"][2:]}
EPISODE_FIELDS = {"PL", *TABLE_COLUMNS["Episodes"][1:]} - {"PLACE"}
YES = {"1", "Y", "YES", "TRUE"}
NO = {"0", "N", "NO", "FALSE"}


def _parse(path: Path, source: str):
    """The file's root element, parsed safely; an UnusableInputError naming the line where it cannot be."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=True, remove_pis=True)
    try:
        root = etree.parse(str(path), parser).getroot()
    except etree.XMLSyntaxError as exc:
        raise UnusableInputError(f"{source}: line {exc.lineno}: not well-formed XML ({exc.msg}). Export the "
                                 "return again from the case system, or give its CSV tables.") from exc
    if etree.QName(root).localname != "EXPSSDA903":
        raise UnusableInputError(f"{source}: line {root.sourceline}: the XML's root element is "
                                 f"<{etree.QName(root).localname}>, not <EXPSSDA903>: this is not an SSDA903 return "
                                 "in the DfE's XML form.")
    return root


def _elements(element) -> list:
    """The element's child elements (entity references left unresolved, comments and the like are not)."""
    return [e for e in element if isinstance(e.tag, str)] if len(element) else []


def _name(element) -> str:
    """The element's name, without a namespace, in capitals (a return's names are; a few exports' are not)."""
    return element.tag.rpartition("}")[2].upper()


def _fields(element, known: set[str], source: str, findings: list[Finding], where: str) -> dict[str, str]:
    """The element's simple children by name (text trimmed); an element ``known`` lacks is a finding."""
    plain = {child.tag: child.text for child in element}  # as exported: known names in capitals, no namespace
    if known.issuperset(plain) and not any(len(child) for child in element):
        return {name: (text or "").strip() for name, text in plain.items()}
    out: dict[str, str] = {}
    for child in _elements(element):
        name = _name(child)
        if _elements(child):  # a group: read by its caller
            continue
        text = (child.text or "").strip()
        if name not in known:
            near = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
            hint = f" Did you mean <{near[0]}>?" if near else f" <{where}> holds {', '.join(sorted(known))}."
            findings.append(finding(source, child.sourceline or 0, name, text[:40], "COLUMN_UNEXPECTED",
                                    f"<{name}> is not an element of <{where}>; it was not read.{hint}"))
            continue
        out[name] = text
    return out


class _Rows:
    """The rows of every table, each with its line."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, str | int]]] = {t: [] for t in TABLE_COLUMNS}

    def add(self, table: str, line: int, values: dict[str, str]) -> None:
        self.rows[table].append({**{c: values.get(c, "") for c in TABLE_COLUMNS[table]}, LINE: line})

    def frames(self) -> dict[str, pd.DataFrame]:
        out = {}
        for table, rows in self.rows.items():
            if rows:
                frame = pd.DataFrame(rows, columns=[*TABLE_COLUMNS[table], LINE])
                out[table] = frame.astype({c: "str" for c in TABLE_COLUMNS[table]} | {LINE: "int64"})
        return out


def _child(child, rows: _Rows, source: str, findings: list[Finding]) -> None:
    """One CHILD's rows: Header (and UASC, AD1, OC3 from its fields), its groups, and its episodes."""
    header = next((e for e in _elements(child) if _name(e) == "HEADER"), None)
    if header is None:
        findings.append(finding(source, child.sourceline or 0, "HEADER", "", "COLUMN_MISSING",
                                "This <CHILD> has no <HEADER>: its episodes cannot be given a child and date of "
                                "birth, so they were not read. Export the return again."))
        return
    h = _fields(header, HEADER_FIELDS, source, findings, "HEADER")
    ident = {"CHILD": h.get("CHILDID", ""), "DOB": h.get("DOB", ""), "SEX": h.get("SEX", "")}
    line = header.sourceline or 0
    rows.add("Header", line, {**h, **ident})
    if (uasc := h.get("UASC", "")).upper() not in YES | NO | {""}:
        findings.append(finding(source, line, "UASC", uasc[:40], "CODE_INVALID", f"UASC is 1 (unaccompanied "
                                f"asylum-seeking) or 0 (not); '{uasc[:40]}' is neither, and was read as 0. "
                                "Correct it in the case system and export the return again."))
    if uasc.upper() in YES or h.get("DUC"):
        rows.add("UASC", line, {**ident, "DUC": h.get("DUC", "")})
    for table in ("AD1", "OC3"):
        if any(h.get(c) for c in TABLE_COLUMNS[table][2:]):
            rows.add(table, line, {**h, **ident})
    for group in (e for e in _elements(header) if _elements(e)):
        kind = GROUPS.get(_name(group))
        if kind is None:
            findings.append(finding(source, group.sourceline or 0, _name(group), "", "XML_ELEMENT_IGNORED",
                                    f"<{_name(group)}> is not a group of a HEADER; it was not read. A HEADER's "
                                    f"groups are {', '.join(GROUPS)}."))
            continue
        known = set(TABLE_COLUMNS[kind][2:])
        rows.add(kind, group.sourceline or 0, {**_fields(group, known, source, findings, _name(group)), **ident})
    for other in (e for e in _elements(child) if _name(e) not in ("HEADER", "EPISODE")):
        findings.append(finding(source, other.sourceline or 0, _name(other), "", "XML_ELEMENT_IGNORED",
                                f"<{_name(other)}> is not part of a <CHILD> (a HEADER and its EPISODEs); it was "
                                "not read."))
    for episode in (e for e in _elements(child) if _name(e) == "EPISODE"):
        values = _fields(episode, EPISODE_FIELDS, source, findings, "EPISODE")
        values = {EPISODE_TAGS.get(k, k): v for k, v in values.items()}
        rows.add("Episodes", episode.sourceline or 0, {**values, "CHILD": ident["CHILD"]})


def read_xml_return(path: Path, source: str) -> tuple[dict[str, pd.DataFrame], list[Finding]]:
    """The tables of an XML return (each a frame of its columns as text and ``_line``), and the findings made
    reading it (elements it does not know, a child without a header)."""
    root = _parse(path, source)
    rows, findings = _Rows(), list[Finding]()
    children = [e for e in _elements(root) if _name(e) == "CHILD"]
    for other in (e for e in _elements(root) if _name(e) != "CHILD"):
        findings.append(finding(source, other.sourceline or 0, _name(other), "", "XML_ELEMENT_IGNORED",
                                f"<{_name(other)}> is not a <CHILD>; it was not read."))
    for child in children:
        _child(child, rows, source, findings)
    if not children:
        raise UnusableInputError(f"{source}: the return holds no <CHILD> element: no child was read. Export it "
                                 "again from the case system.")
    return rows.frames(), findings


def cell_lines(path: Path, source: str, rows: set[int]) -> dict[tuple[int, str], int]:
    """The line of each cell's own element in the rows whose elements are on ``rows`` (an EPISODE, a HEADER
    or one of its groups), by (the row's line, column as the tables name it): where a finding about that cell
    belongs. The file is parsed again, only when there are such findings."""
    found: dict[tuple[int, str], int] = {}
    for element in _parse(path, source).iter():
        line = element.sourceline or 0
        if line not in rows or not isinstance(element.tag, str) or not _elements(element):
            continue
        for child in _elements(element):
            if not child.sourceline or child.sourceline == line:
                continue
            name = _name(child)
            for column in (EPISODE_TAGS.get(name, name), *(("CHILD",) if name == "CHILDID" else ())):
                found[(line, column)] = child.sourceline
    return found


def xml_from_tables(tables: dict[str, pd.DataFrame]) -> bytes:
    """One year's Header, Episodes and UASC tables (columns as :data:`TABLE_COLUMNS` names them) as the DfE's
    XML return: a CHILD for each Header row, in its order, with its episodes (for a council's tables to try
    the XML path, and for the tests and benchmarks that hold the two forms to the same history)."""
    from lxml import etree

    uasc = {r["CHILD"]: r for r in tables.get("UASC", pd.DataFrame(columns=["CHILD"])).to_dict("records")}
    episodes: dict[str, list[dict]] = {}
    for r in tables["Episodes"].to_dict("records"):
        episodes.setdefault(r["CHILD"], []).append(r)
    root = etree.Element("EXPSSDA903")
    for h in tables["Header"].to_dict("records"):
        child = etree.SubElement(root, "CHILD")
        header = etree.SubElement(child, "HEADER")
        values = {**h, "CHILDID": h["CHILD"], "UASC": "1" if h["CHILD"] in uasc else "0",
                  "DUC": uasc.get(h["CHILD"], {}).get("DUC", "")}
        for name in ("CHILDID", "UPN", "SEX", "DOB", "ETHNIC", "UASC", "DUC", "MOTHER", "MC_DOB"):
            if name != "DUC" or values["DUC"]:
                etree.SubElement(header, name).text = str(values.get(name, ""))
        for e in episodes.get(h["CHILD"], []):
            episode = etree.SubElement(child, "EPISODE")
            for name in ("DECOM", "RNE", "LS", "CIN", "PLACE", "PL_POST", "HOME_POST", "URN", "PLACE_PROVIDER",
                         "DEC", "REC", "REASON_PLACE_CHANGE"):
                etree.SubElement(episode, TAG_OF.get(name, name)).text = str(e.get(name, ""))
    return etree.tostring(root, encoding="utf-8", xml_declaration=True, pretty_print=True)
