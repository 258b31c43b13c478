"""Generated record-level arrest files, for tests and the benchmark (never for the book's figures)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .sources.ice_arrest_records import CRIMINALITY

COUNTRIES = ["Mexico", "Guatemala", "Honduras", "El Salvador", "China", "India", "Dominican Republic",
             "Ecuador", "Colombia", "Brazil", "Haiti", "Jamaica", "Nigeria", "Vietnam", "Philippines"]


def records(per_area: dict[str, int], start: str, end: str, *, outside: int = 0, seed: int = 0) -> pd.DataFrame:
    """Records whose per-area counts inside [start, end] are exactly `per_area`, plus `outside` records after `end`."""
    rng = np.random.default_rng(seed)
    areas = np.repeat(list(per_area), list(per_area.values()))
    days = pd.date_range(start, end, freq="D")
    dates = days[rng.integers(0, len(days), len(areas))]
    if outside:
        areas = np.concatenate([areas, rng.choice(list(per_area), outside)])
        later = pd.Timestamp(end) + pd.to_timedelta(rng.integers(1, 365, outside), unit="D")
        dates = dates.append(pd.DatetimeIndex(later))
    n = len(areas)
    return pd.DataFrame({
        "area_of_responsibility": areas,
        "apprehension_date": dates.strftime("%Y-%m-%d"),
        "criminality": [f"{i + 1} {CRIMINALITY[i]}" for i in rng.integers(0, 3, n)],
        "citizenship_country": rng.choice(COUNTRIES, n),
    })


def scaled(n: int, *, seed: int = 0) -> pd.DataFrame:
    """About `n` records over ten areas and a year, for measuring speed and memory."""
    areas = [f"Area {i:02d}" for i in range(10)]
    share = n // len(areas)
    return records({a: share for a in areas}, "2017-01-01", "2017-12-31", seed=seed)


#: Landmarks of a made-up area, each spelled more than one way as in ICE's files, with the state the area's
#: coding gives it (see `foia_coding`).
FOIA_LANDMARKS = [("NORTH COUNTY JAIL", ["NORTH COUNTY JAIL", "NORTH CO. JAIL", " north county jail"], "NS"),
                  ("RIVER CITY FUG OPS", ["RIVER CITY FUG OPS", "River City Fug Ops"], "NS"),
                  ("SOUTH STATE PRISON", ["SOUTH STATE PRISON", "SOUTH  STATE PRISON"], "SS"),
                  ("LAKE CAP", ["LAKE CAP"], "SS"),
                  ("FAR AWAY ICE FACILITY", ["FAR AWAY ICE FACILITY"], "OTHER")]
FOIA_METHODS = ["CAP Local Incarceration", "Non-Custodial Arrest", "Located", "CAP State Incarceration",
                "CAP Federal Incarceration", "Other efforts"]
FOIA_TITLE = ['"ERO-LESA Statistical Tracking Unit"|||||||', '"For Official Use Only (FOUO)/Pre-decisional"|||||||',
              '"UW v. DHS - ICE Productions"|||||||', '"Please review the last tab for footnotes."|||||||', "|||||||"]
FOIA_HEADER = ('"Arrest Date"|"Date of Birth"|"Gender"|"Country of Citizenship"|"Event Number"|'
               '"Apprehension Landmark"|"Arrest Method"|"Most Serious Conviction"')


def foia_lines(n: int, start: str, end: str, area: str, *, seed: int = 0, extra: dict | None = None) -> list[str]:
    """`n` records of ICE's FOIA shape (pipe-delimited, title rows, M/D/YYYY, redaction codes, blank convictions,
    landmarks spelled inconsistently) dated uniformly in [start, end], plus `extra` = {day: count} on given days."""
    rng = np.random.default_rng(seed)
    days = pd.date_range(start, end, freq="D")
    dates = days[rng.integers(0, len(days), n)]
    for day, k in (extra or {}).items():
        dates = dates.append(pd.DatetimeIndex([pd.Timestamp(day)] * k))
    dates = dates.sort_values()
    total = len(dates)
    spellings = [s for _, variants, _ in FOIA_LANDMARKS for s in variants]
    frame = pd.DataFrame({
        "date": [f"{d.month}/{d.day}/{d.year}" for d in dates] if total < 50_000 else
        pd.Series(dates.month.astype(str)) + "/" + pd.Series(dates.day.astype(str)) + "/" + pd.Series(dates.year.astype(str)),
        "gender": np.where(rng.random(total) < 0.9, '"Male"', '"Female"'),
        "country": pd.Series(rng.choice(COUNTRIES, total)).str.upper().radd('"').add('"').to_numpy(),
        "landmark": pd.Series(rng.choice(spellings, total)).radd('"').add('"').to_numpy(),
        "method": pd.Series(rng.choice(FOIA_METHODS, total)).radd('"').add('"').to_numpy(),
        "conviction": np.where(rng.random(total) < 0.35, '"Assault"', ""),
    })
    rows = (frame["date"].astype(str) + '|"(b)(6),(b)(7)c)"|' + frame["gender"] + "|" + frame["country"]
            + '|"(b)(7)e)"|' + frame["landmark"] + "|" + frame["method"] + "|" + frame["conviction"])
    first, last = pd.Timestamp(start), pd.Timestamp(end)
    title = (f'"FY{first.year} - FY{last.year} YTD ({first:%m/%d/%Y} - {last:%m/%d/%Y}) ERO Administrative Arrests '
             f'for the {area} Area of Responsibility"|||||||')
    return FOIA_TITLE + [title, FOIA_HEADER] + rows.tolist()


def write_foia(path, lines: list[str]) -> None:
    """Write lines as ICE's file is published: gzip, UTF-8, one record a line (byte-identical for the same lines)."""
    import gzip

    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as handle:
        handle.write(("\n".join(lines) + "\n").encode("utf-8"))


def foia_coding(states: dict[str, str] | None = None) -> pd.DataFrame:
    """The made-up area's landmark coding, in the shape of the Center's `arrest_locs.csv`; `states` renames its
    state codes (e.g. {"NS": "WA", "SS": "OR"} for a file read under the Seattle source's schema)."""
    states = states or {}
    rows = [(s.strip().upper().replace("  ", " "), states.get(state, state),
             canonical if s.strip().upper().replace("  ", " ") != canonical else "")
            for canonical, variants, state in FOIA_LANDMARKS for s in variants]
    frame = pd.DataFrame(rows, columns=["apprehension_landmark", "state", "correct"]).drop_duplicates("apprehension_landmark")
    return frame.sort_values("apprehension_landmark").reset_index(drop=True)


#: The national FOIA files' title rows and header (SOURCES.md section 10), the fiscal year filled in.
NATIONAL_TITLE = ['"ERO-LESA Statistical Tracking Unit"||||||||', '"For Official Use Only (FOUO)/Pre-decisional"||||||||',
                  '"{request}"||||||||', "||||||||", '"ERO Administrative Arrests for FY{fy}"||||||||']
NATIONAL_HEADER = ('"Area of Responsibility"|"Apprehension Date"|"Apprehension Method"|"Apprehension Landmark"|'
                   '"Operation"|"Processing Disposition"|"Birth Date"|"Citizenship"|"Gender"')
NATIONAL_METHODS = ["CAP Local Incarceration", "Located", "Non-Custodial Arrest", "CAP Federal Incarceration",
                    "CAP State Incarceration", "287(g) Program", "Probation and Parole"]


def national_title(fy: int, request: str = "2019-ICFO-53623") -> list[str]:
    return [t.format(fy=fy, request=request) for t in NATIONAL_TITLE] + [NATIONAL_HEADER]


def national_row(area="Lakeshore", date="9/24/2017", method="Located", landmark="NORTH COUNTY JAIL",
                 operation="", suffix=True) -> str:
    """One record of the national files' shape (blank cells stay unquoted, as in ICE's files)."""
    def q(v):
        return f'"{v}"' if v else ""
    name = f"{area} Area of Responsibility" if area and suffix else area
    return (f'{q(name)}|{date}|{q(method)}|{q(landmark)}|{q(operation)}|"Warrant of Arrest/Notice to Appear"|'
            f'"(B)(6);(B)(7)(C) "|"MEXICO"|"Male"')


def national_lines(n: int, fy: int, areas: list[str], *, seed: int = 0, extra: dict | None = None,
                   redacted_share: float = 0.2) -> list[str]:
    """About `n` records of the national files' shape for fiscal year `fy`, spread over `areas` and the year's
    days, plus `extra` = {(area, "M/D/YYYY"): (count, redacted operations)}; blank areas and landmarks included."""
    rng = np.random.default_rng(seed)
    days = pd.date_range(f"{fy - 1}-10-01", f"{fy}-09-30", freq="D")
    dates = days[rng.integers(0, len(days), n)]
    date_text = (pd.Series(dates.month.astype(str)) + "/" + pd.Series(dates.day.astype(str)) + "/"
                 + pd.Series(dates.year.astype(str)))
    area = pd.Series(rng.choice(areas, n)) + " Area of Responsibility"
    area = area.where(rng.random(n) > 0.002, "")  # a few blank areas, as in ICE's files
    area = area.map(lambda v: f'"{v}"' if v else "")
    method = pd.Series(rng.choice(NATIONAL_METHODS, n)).radd('"').add('"')
    landmark = pd.Series(rng.choice(['"NORTH COUNTY JAIL"', '"River City Fug Ops "', '"LAKE CAP"', ""], n))
    operation = pd.Series(np.where(rng.random(n) < redacted_share, '"(B)(7)(E) "',
                                   np.where(rng.random(n) < 0.5, '"--"', "")))
    rows = (area + "|" + date_text + "|" + method + "|" + landmark + "|" + operation
            + '|"Warrant of Arrest/Notice to Appear"|"(B)(6);(B)(7)(C) "|"MEXICO"|"Male"').tolist()
    for (where, day), (count, with_operation) in (extra or {}).items():
        rows += [national_row(where, day, "Located", "FUG OPS", "(B)(7)(E) " if i < with_operation else "")
                 for i in range(count)]
    return national_title(fy) + rows
