"""Understanding tenant records with the language services, in batches.

For every candidate, need or programme the service derives, and shows back to the client:
- skills: each listed skill linked to an ESCO skill (by URI, by exact label, or by meaning
  above LINK_MIN_SCORE), plus the skills found in the free text; listed strings that could not
  be linked are kept and flagged, never dropped;
- occupation: a need's title normalised to SOC; a candidate's own occupation from headline,
  summary and skills, with its rivals and a career target (models/reference/profile_occupation.py);
- region: the given region id, or the free-text location resolved to a region;
- vector: one profile vector (the normalised mean of the title, the linked skills and the
  free-text sentences), stored with the row and indexed per tenant.

Everything that needs the encoder is collected across the whole batch first and encoded in
one call, because the encoder, not the database, limits ingest speed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from models.core.errors import InvalidInput
from models.core.language import Detected
from models.core.memo import Memo
from models.core.text import fold
from models.reference.data import ReferenceData
from models.reference.occupations import CONFIDENT
from models.reference.skill_ann import AnnConfig
from models.tenants.features import TEXT_SKILL_WEIGHT

ESCO_SKILL_PREFIX = "http://data.europa.eu/esco/skill/"
LINK_MIN_SCORE = 0.62  # a free-text skill links only this close to an ESCO name (cosine-based score)
TEXT_SKILL_MIN_SCORE = 0.6  # skills found in free text need a little more evidence
TEXT_SKILLS_MAX = 25
REGION_MIN_SCORE = 0.5
SOC_MIN_SCORE = 0.2  # a need's title names an occupation when the classifier gives it this probability
FOREIGN_KEY = "\x00"  # marks a listed string read in another language in the link memo
TITLE_CANDIDATES = 10  # occupations kept per distinct title
# Listed skills and titles repeat across records ("Python", "customer service", "Registered
# Nurse"); their links are remembered per process so each distinct string is encoded once.
CACHE_SIZE = 100_000

# which fields of each kind carry what
SKILL_FIELDS = {
    "candidate": (("skills", "has"),),
    "need": (("required_skills", "required"), ("nice_to_have_skills", "nice_to_have")),
    "program": (("skills_taught", "teaches"),),
}
TEXT_FIELD = {"candidate": "summary", "need": "description", "program": "description"}


@dataclass
class Understanding:
    understood: dict
    region_id: str | None
    soc: str | None
    status: str | None
    vector: np.ndarray
    errors: list[dict] = field(default_factory=list)


def _skill_entries(doc: dict, kind: str) -> list[tuple[str, str, dict]]:
    """(field role, given string, extra) for every listed skill."""
    out = []
    for name, role in SKILL_FIELDS[kind]:
        for i, item in enumerate(doc.get(name) or []):
            if isinstance(item, str):
                out.append((role, item.strip(), {"path": f"$.{name}[{i}]"}))
            else:
                extra = {k: item[k] for k in ("years", "level") if k in item}
                out.append((role, item["skill"].strip(), {"path": f"$.{name}[{i}]", **extra}))
    return out


def _title_of(doc: dict, kind: str) -> str | None:
    if kind == "candidate":
        return doc.get("headline") or next(iter(doc.get("desired_roles") or []), None)
    return doc.get("title")


class RecordUnderstander:
    def __init__(self, ref: ReferenceData, cache_size: int = CACHE_SIZE):
        self.ref = ref
        self.skills = ref.skills
        self._links = Memo(cache_size)  # folded skill string -> link or None
        self._titles = Memo(cache_size)  # title -> (vector, ranked SOC occupations)

    # ---- skills ----------------------------------------------------------------------------
    def _link_listed(self, given: list[str], foreign: list[bool]) -> list[tuple[int, float, str] | None]:
        """Link each listed skill string: ESCO URI, exact label, or nearest by meaning.

        A string is read in another language only when its record is written in one (the
        whole record names its language reliably; two words do not) and its own words are
        not English: the multilingual encoder finds a nearest skill for anything, gibberish
        too, so an English record's unknown strings stay on the English path."""
        out: list[tuple[int, float, str] | None] = [None] * len(given)
        names = self.skills.exact_names
        ml = self.skills.multilingual
        pending: dict[str, list[int]] = {}  # key -> positions still to link by meaning
        for i, text in enumerate(given):
            key = fold(text)
            if text.startswith(ESCO_SKILL_PREFIX):
                idx = self.skills.by_id.get(text)
                out[i] = (idx, 1.0, "uri") if idx is not None else None
            elif key in names:
                out[i] = (names[key][0], 1.0, "exact")
            else:
                if foreign[i] and ml is not None and not ml.detector.is_english(text):
                    key = FOREIGN_KEY + key
                pending.setdefault(key, []).append(i)
        known = self._links.get_many(list(pending))
        todo = [key for key in pending if key not in known]
        if todo:
            texts = [given[pending[key][0]] for key in todo]
            in_other = {i for i, key in enumerate(todo) if key.startswith(FOREIGN_KEY)}
            english = [i for i in range(len(todo)) if i not in in_other]
            best: dict[int, tuple[int, float]] = {}
            if english:
                vectors = self.ref.encoder.encode([texts[i] for i in english])
                scores = self.skills.score_vectors(vectors, candidates=AnnConfig.rows)
                for row, i in enumerate(english):
                    top = int(np.argmax(scores[row]))
                    best[i] = (top, float(scores[row, top]))
            if in_other:
                # the multilingual path's scores are on the English path's scale (FOREIGN_OFFSET);
                # a string with an English translation is read both ways (SkillCatalog._rank_sentences)
                order = sorted(in_other)
                ranked, _ = self.skills._rank_sentences([texts[i] for i in order], 1)
                for i, hits in zip(order, ranked):
                    if hits:
                        best[i] = (self.skills.by_id[hits[0].id], hits[0].score)
            fresh = {}
            for i, key in enumerate(todo):
                top, score = best.get(i, (-1, 0.0))
                fresh[key] = (top, score, "semantic") if score >= LINK_MIN_SCORE else None
            self._links.put_many(fresh)
            known.update(fresh)
        for key, positions in pending.items():
            for i in positions:
                out[i] = known[key]
        return out

    def _understand_titles(self, titles: list[str]) -> list[tuple[np.ndarray, list[dict]]]:
        """(vector, ranked SOC occupations) of each title, each distinct title encoded once."""
        keys = [" ".join(t.split()) for t in titles]
        known = self._titles.get_many(keys)
        todo = list(dict.fromkeys(k for k in keys if k not in known))
        if todo:
            # the cleaned title (abbreviations spelled out, grades dropped) is what is encoded
            # and matched, as in /v1/titles/normalize
            _, vectors, ranked = self.ref.titles.read_titles(todo, k=TITLE_CANDIDATES)
            fresh = {key: (vector, top) for key, vector, top in zip(todo, vectors, ranked)}
            self._titles.put_many(fresh)
            known.update(fresh)
        return [known[k] for k in keys]

    def classify_titles(self, titles: list[str]) -> list[list[dict]]:
        """Ranked SOC occupations of each title (memoised with the title vectors)."""
        return [ranked for _, ranked in self._understand_titles(titles)]

    # ---- batch -----------------------------------------------------------------------------
    def understand(self, kind: str, docs: list[dict], remember: bool = False) -> list[Understanding]:
        """Understand a batch of validated documents of one kind. `remember`: sentences ranked
        before are not ranked again (SkillCatalog._rank_sentences; for single-record writes)."""
        titles = [_title_of(d, kind) for d in docs]
        texts = [d.get(TEXT_FIELD[kind]) or "" for d in docs]
        listed = [_skill_entries(d, kind) for d in docs]
        detected = [self._language(t, x, [g for _, g, _ in e]) for t, x, e in zip(titles, texts, listed)]
        flat_given = [given for entries in listed for _, given, _ in entries]
        flat_foreign = [not d.english for d, entries in zip(detected, listed) for _ in entries]
        links = self._link_listed(flat_given, flat_foreign)

        title_iter = iter(self._understand_titles([t for t in titles if t]))
        occupations = (
            self._candidate_occupations(docs, texts, [not d.english for d in detected]) if kind == "candidate" else None
        )
        # whole sentences only: spans would multiply the encoding work of every CV several times
        # (ingest is encoder-bound); listed skills are linked one by one above anyway
        # large chunks: the encoder sorts a chunk by length, so bigger chunks pad less (+20% here)
        extracted = self.skills.extract_many(
            texts, k=TEXT_SKILLS_MAX, min_score=TEXT_SKILL_MIN_SCORE, chunk=1024, with_spans=False, remember=remember
        )

        results: list[Understanding] = []
        cursor = 0
        for n, (doc, title, entries, (hits, sentence_vecs)) in enumerate(zip(docs, titles, listed, extracted)):
            errors: list[dict] = []
            linked_skills: list[dict] = []
            unlinked: list[dict] = []
            seen: set[str] = set()
            skill_rows: list[int] = []
            for role, given, extra in entries:
                link = links[cursor]
                cursor += 1
                if link is None:
                    unlinked.append({"given": given, "role": role, **extra})
                    continue
                idx, score, how = link
                skill = self.skills.skills[idx]
                linked_skills.append(
                    {
                        "id": skill["id"],
                        "label": skill["label"],
                        "score": round(score, 4),
                        "role": role,
                        "given": given,
                        "linked_by": how,
                        **extra,
                    }
                )
                seen.add(skill["id"])
                skill_rows.append(idx)
            from_text = []
            for hit in hits:
                if hit.id in seen:
                    continue
                seen.add(hit.id)
                from_text.append(
                    {"id": hit.id, "label": hit.label, "score": round(hit.score, 4), "evidence": hit.evidence}
                )
                skill_rows.append(self.skills.by_id[hit.id])

            soc = None
            parts: list[np.ndarray] = []
            if title:
                tv, ranked = next(title_iter)
                soc = _title_occupation(ranked) if occupations is None else None
                parts.append(tv[None, :])
            if occupations is not None:
                soc = self.ref.profiles.infer(
                    occupations[n],
                    self.ref.skill_space.credits(
                        {s["id"]: 1.0 for s in linked_skills} | {s["id"]: TEXT_SKILL_WEIGHT for s in from_text}
                    ),
                )
            region, region_error = self._region(doc)
            if region_error:
                errors.append(region_error)
            if skill_rows:
                parts.append(self.skills.label_vectors(skill_rows))
            if len(sentence_vecs):
                parts.append(sentence_vecs)
            vector = _profile_vector(parts, self.ref.encoder.dim)
            understood = {
                "language": detected[n].language,
                "skills": linked_skills,
                "text_skills": from_text,
                "unlinked_skills": unlinked,
                "occupation": soc,
                "region": region,
            }
            results.append(
                Understanding(
                    understood=understood,
                    region_id=region["id"] if region else None,
                    soc=soc["soc"] if soc else None,
                    status=(doc.get("status") or "open") if kind == "need" else None,
                    vector=vector,
                    errors=errors,
                )
            )
        return results

    def encode_ahead(self, kind: str, docs: list[dict], streams: int | None = None) -> None:
        """Encode the free text of documents `understand` will see next (from another thread,
        while this one works on the documents before them), in `streams` encoding streams."""
        self.skills.encode_ahead([d.get(TEXT_FIELD[kind]) or "" for d in docs], streams)

    def _language(self, title: str | None, text: str, listed: list[str]) -> Detected:
        """The language a record is written in: its title, text and listed skills read
        together, which is long enough for the identifier to be reliable."""
        return self.ref.detect_language(". ".join(part for part in (title or "", text, ", ".join(listed)) if part))

    def link_skills(self, skills: list[str]) -> list[tuple[int, float, str] | None]:
        """`_link_listed` for a list of skill strings on its own (a query), read as one text."""
        foreign = not self.ref.detect_language(", ".join(skills)).english
        return self._link_listed(skills, [foreign] * len(skills))

    def skill_ids(self, skills: list[str]) -> list[str]:
        """The ESCO ids of skill strings given on their own (a query), linked as `link_skills`
        links them; InvalidInput listing the strings that link to no skill."""
        links = self.link_skills(skills)
        unknown = [s for s, link in zip(skills, links) if link is None]
        if unknown:
            raise InvalidInput("some skills link to no ESCO skill", {"unlinked": unknown})
        return [self.ref.skills.skills[link[0]]["id"] for link in links if link is not None]

    def _candidate_occupations(self, docs: list[dict], texts: list[str], foreign: list[bool]) -> list:
        """Headline, summary and desired-role evidence of each candidate (titles memoised). The
        job titles a summary names are found in English, and whether a headline names a goal:
        a foreign summary or headline is read in its translation, where there is one."""
        ml = self.skills.multilingual
        headlines: list[str | None] = [d.get("headline") or None for d in docs]
        summaries = list(texts)
        english_headlines: list[str | None] = [None] * len(docs)
        if ml is not None:
            to_translate = [(i, "summary", texts[i]) for i, f in enumerate(foreign) if f and texts[i]]
            to_translate += [(i, "headline", h) for i, (f, h) in enumerate(zip(foreign, headlines)) if f and h]
            translated = ml.in_english([text for _, _, text in to_translate]) if to_translate else []
            for (i, field, text), english in zip(to_translate, translated):
                if field == "summary":
                    summaries[i] = english or text
                else:
                    english_headlines[i] = english
        return self.ref.profiles.evidence(
            headlines,
            summaries,
            [d.get("desired_roles") or [] for d in docs],
            self.classify_titles,
            english_headlines,
        )

    def _region(self, doc: dict) -> tuple[dict | None, dict | None]:
        regions = self.ref.regions
        if doc.get("region_id"):
            region = regions.get(doc["region_id"])
            if region is None:
                return None, {"path": "$.region_id", "message": f"unknown region {doc['region_id']!r}"}
            return {"id": region.id, "name": region.name, "kind": region.kind, "resolved_from": "region_id"}, None
        if doc.get("location"):
            matches = regions.resolve(doc["location"], limit=1)
            if matches and matches[0][1] >= REGION_MIN_SCORE:
                region, score, reason = matches[0]
                return {
                    "id": region.id,
                    "name": region.name,
                    "kind": region.kind,
                    "resolved_from": "location",
                    "score": round(float(score), 4),
                    "reason": reason,
                }, None
            return {"id": None, "unresolved": doc["location"]}, None
        return None, None


def _title_occupation(ranked: list[dict]) -> dict | None:
    """A need's occupation: the classifier's first answer when probable enough."""
    if not ranked or ranked[0]["score"] < SOC_MIN_SCORE:
        return None
    top = ranked[0]
    return {
        "soc": top["soc"],
        "title": top["title"],
        "score": top["score"],
        "confidence": top["score"],
        "status": "confident" if top["score"] >= CONFIDENT else "uncertain",
        "candidates": [{"soc": a["soc"], "title": a["title"], "score": a["score"]} for a in ranked[:5]],
    }


def _profile_vector(parts: list[np.ndarray], dim: int) -> np.ndarray:
    if not parts:
        return np.zeros(dim, dtype=np.float32)
    mean = np.concatenate(parts).mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return (mean / norm if norm > 0 else mean).astype(np.float32)


def raise_on_errors(u: Understanding) -> None:
    if u.errors:
        raise InvalidInput(
            "the record refers to something that does not exist", {"errors": u.errors}, code="validation_failed"
        )
