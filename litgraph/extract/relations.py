"""Document-level relation extraction: typed entity markers, pooled entities, a pair classifier.

Every mention in the text is wrapped in typed marker tokens (``[Chemical] … [/Chemical]``); the
whole document goes through the encoder once (in windows when long); an entity (all mentions of
one concept id) is the log-sum-exp of its start-marker states (as in ATLOP, Zhou et al. 2021); a
pair of entities is classified by an MLP over ``[e1, e2, e1*e2, |e1-e2|]`` into the relation types
of the corpora it was trained on, plus a novelty logit (BioRED). Decision thresholds are tuned on dev. A group
whose corpus relates the most specific diseases only (BC5CDR) keeps, of two relations of one subject whose objects
differ, the one to the narrower concept (``most_specific``).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch
from safetensors.torch import load_file, save_file
from torch import nn
from transformers import AutoConfig, AutoModel, AutoTokenizer

from litgraph.errors import InputError
from litgraph.extract import compact, store
from litgraph.extract.corpus import CorpusDocs, load
from litgraph.extract.data import NameSwapper, encode, windowed_forward
from litgraph.extract.metrics import RelationScorer
from litgraph.extract.train import TrainConfig, compute_dtype, continue_from, device, fit, ready_for_inference, set_threads
from litgraph.records import ENTITY_TYPES, Document, Mention, Relation, pair_key
from litgraph.settings import Settings
from litgraph.text import sentences

#: The entity types the markers stand for, in the order of the model's pairs (``records.ENTITY_TYPES``).
TYPE_ORDER = ENTITY_TYPES
HEAD_FILE = "head.safetensors"


def markers(types=TYPE_ORDER) -> list[str]:
    return [f"[{t}]" for t in types] + [f"[/{t}]" for t in types]


@dataclass
class Entity:
    id: str
    type: str
    positions: list[int]  # token positions of its mentions' start markers
    mentions: list[Mention]


@dataclass
class Prepared:
    """A document as the relation model sees it: marked token ids and its entities by concept id."""

    doc: Document
    input_ids: list[int]
    entities: dict[str, Entity]


def prepare(doc: Document, tokenizer, mentions: list[Mention] | None = None, text: str | None = None) -> Prepared:
    """Insert typed markers around each mention and group mentions into entities by concept id."""
    text = doc.text if text is None else text
    mentions = doc.mentions if mentions is None else mentions
    enc = encode(tokenizer, text)
    opens: dict[int, list[Mention]] = {}
    closes: dict[int, list[str]] = {}
    for m in sorted(mentions, key=lambda m: (m.start, -m.end)):
        span = token_span(enc, m) if m.ids and m.type in TYPE_ORDER else None
        if span is None:
            continue
        first, last = span
        opens.setdefault(first, []).append(m)
        closes.setdefault(last + 1, []).append(m.type)
    vocab = tokenizer.convert_tokens_to_ids
    ids: list[int] = []
    entities: dict[str, Entity] = {}
    for i in range(len(enc) + 1):
        for etype in closes.get(i, []):
            ids.append(vocab(f"[/{etype}]"))
        for m in opens.get(i, []):
            for cid in m.ids:
                entity = entities.setdefault(cid, Entity(cid, m.type, [], []))
                entity.positions.append(len(ids))
                entity.mentions.append(m)
            ids.append(vocab(f"[{m.type}]"))
        if i < len(enc):
            ids.append(enc.input_ids[i])
    return Prepared(doc, ids, entities)


def token_span(enc, m: Mention) -> tuple[int, int] | None:
    """The first and last subword of mention ``m`` in a tokenised text (None when no subword falls inside it)."""
    first = next((i for i, (s, e) in enumerate(enc.offsets) if e > m.start), None)
    if first is None or enc.offsets[first][0] >= m.end:
        return None
    return first, max(i for i in range(first, len(enc)) if enc.offsets[i][0] < m.end)


class RelationModel(nn.Module):
    """Encoder plus pair classifier; ``n_out`` = relation types + 1 novelty logit."""

    def __init__(self, encoder, n_out: int, dropout: float = 0.1):
        super().__init__()
        self.encoder = encoder
        hidden = encoder.config.hidden_size
        self.head = nn.Sequential(nn.Linear(4 * hidden, hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden, n_out))

    def states(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.encoder(input_ids=ids, attention_mask=mask).last_hidden_state

    def pairs(self, first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
        return self.head(torch.cat([first, second, first * second, (first - second).abs()], dim=-1))


class RelationExtractor:
    """A trained relation model with its tokenizer, relation groups and decision thresholds.

    ``meta["groups"]``: per source corpus, its relation types, the entity type pairs it relates,
    whether it has novelty, its tuned threshold, and whether it keeps the most specific relations only.
    """

    kind = "re"

    def __init__(self, model: RelationModel, tokenizer, meta: dict[str, Any], settings: Settings | None = None):
        self.model, self.tokenizer, self.meta = model, tokenizer, meta
        self.rel_types: list[str] = meta["relation_types"]
        self.dtype = compute_dtype(device())  # autocast dtype of inference (None: fp32)
        self.settings = settings  # where the normaliser's index is (default: from the environment)
        self._narrower: Callable[[str, str], bool] | None = None

    @property
    def version(self) -> str:
        return self.meta.get("version", "re:untrained")

    @property
    def narrower(self) -> Callable[[str, str], bool] | None:
        """``narrower(a, b)``: whether concept a lies below concept b in the MeSH tree (``Normaliser.narrower``), for
        the groups that keep the most specific relations; loaded from the normaliser's index on first use, None when
        no group needs it."""
        if self._narrower is None and any(g.get("most_specific") for g in self.meta["groups"].values()):
            from litgraph.normalise import Normaliser

            self._narrower = Normaliser.load(self.settings or Settings.from_env()).narrower
        return self._narrower

    @narrower.setter
    def narrower(self, value: Callable[[str, str], bool]) -> None:
        self._narrower = value

    @classmethod
    def from_base(cls, base_model: str, groups: dict[str, dict], cfg: TrainConfig,
                  settings: Settings | None = None) -> "RelationExtractor":
        store.quiet_transformers()
        tokenizer = AutoTokenizer.from_pretrained(base_model)
        tokenizer.add_special_tokens({"additional_special_tokens": markers()})
        encoder = AutoModel.from_pretrained(base_model)
        encoder.resize_token_embeddings(len(tokenizer), mean_resizing=False)
        rel_types = sorted({t for g in groups.values() for t in g["types"]})
        meta = {
            "kind": "re", "base_model": str(base_model), "relation_types": rel_types, "groups": groups,
            "max_length": cfg.max_length, "overlap": cfg.overlap,
        }
        return cls(RelationModel(encoder, len(rel_types) + 1), tokenizer, meta, settings)

    @classmethod
    def load(cls, folder: Path, settings: Settings | None = None) -> "RelationExtractor":
        """Load a model folder written by ``save``; InputError when it is missing or corrupt."""
        meta = store.read_meta(folder, "re")
        store.quiet_transformers()
        try:
            tokenizer = AutoTokenizer.from_pretrained(folder)
            if "packed" in meta:
                model = RelationModel(AutoModel.from_config(AutoConfig.from_pretrained(folder)), len(meta["relation_types"]) + 1)
                model.load_state_dict(compact.unpack(folder, meta["packed"]))
            else:
                model = RelationModel(AutoModel.from_pretrained(folder), len(meta["relation_types"]) + 1)
                model.head.load_state_dict(load_file(str(folder / HEAD_FILE)))
        except InputError:
            raise
        except Exception as err:  # noqa: BLE001 - any load failure means a corrupt folder
            raise store.load_error(folder, "re", err) from err
        ready_for_inference(model)
        return cls(model, tokenizer, meta, settings)

    def save(self, out: Path, summary: dict[str, Any]) -> str:
        def write(tmp: Path) -> None:
            self.model.encoder.save_pretrained(tmp)
            self.tokenizer.save_pretrained(tmp)
            save_file({k: v.contiguous() for k, v in self.model.head.state_dict().items()}, str(tmp / HEAD_FILE))

        self.meta["version"] = store.save_folder(out, write, dict(self.meta, training=store.training_record(summary)),
                                                store.model_card("re", summary))
        return self.meta["version"]

    def pack(self, src: Path, out: Path, bits: int = 4, scores: dict | None = None) -> dict[str, Any]:
        """Write the model folder ``src`` (this model, loaded from it) as a delta over its base; returns the meta."""
        return compact.write_packed(src, out, self.model.state_dict(), dict(self.meta), "encoder.", bits, scores)

    # -- candidates and scoring -------------------------------------------------------------
    def candidates(self, prepared: Prepared, group: dict) -> list[tuple[Entity, Entity]]:
        """Entity pairs whose types the group relates, in canonical order (CID: chemical, disease)."""
        allowed = {tuple(p) for p in group["pairs"]}
        ents = sorted(prepared.entities.values(), key=lambda e: pair_key(e.type, e.id))
        out = []
        for i, a in enumerate(ents):
            for b in ents[i + 1:]:
                if (a.type, b.type) in allowed:
                    out.append((a, b))
        return out

    def _entity_states(self, prepared: list[Prepared], grad: bool) -> list[dict[str, torch.Tensor]]:
        tok = self.tokenizer
        states = windowed_forward(
            self.model.states, [p.input_ids for p in prepared], cls_id=tok.cls_token_id, sep_id=tok.sep_token_id,
            pad_id=tok.pad_token_id, size=self.meta["max_length"], overlap=self.meta["overlap"],
            batch_size=16 if not grad else 64, device=next(self.model.parameters()).device, dtype=self.dtype,
        )
        return [
            {cid: torch.logsumexp(h[e.positions], dim=0) for cid, e in p.entities.items()} for p, h in zip(prepared, states)
        ]

    def _logits(self, embeddings: dict[str, torch.Tensor], pairs: list[tuple[Entity, Entity]]) -> torch.Tensor:
        first = torch.stack([embeddings[a.id] for a, _ in pairs])
        second = torch.stack([embeddings[b.id] for _, b in pairs])
        return self.model.pairs(first, second).float()

    def scores(self, prepared: list[Prepared]) -> list[dict[str, list[tuple[Entity, Entity, torch.Tensor]]]]:
        """Per document and group: candidate pairs with their sigmoid outputs."""
        candidates = [{name: self.candidates(p, group) for name, group in self.meta["groups"].items()} for p in prepared]
        encode = [k for k, per_group in enumerate(candidates) if any(per_group.values())]  # no pair, no encoder pass
        with torch.inference_mode():
            embeddings = dict(zip(encode, self._entity_states([prepared[k] for k in encode], grad=False)))
            out = []
            for k, per_group in enumerate(candidates):
                scored = {}
                for name, pairs in per_group.items():
                    probs = torch.sigmoid(self._logits(embeddings[k], pairs)).cpu() if pairs else torch.zeros((0, len(self.rel_types) + 1))
                    scored[name] = [(a, b, probs[i]) for i, (a, b) in enumerate(pairs)]
                out.append(scored)
        return out

    def thresholds(self) -> dict[str, dict[str, float]]:
        """The decision threshold of each group and relation type (a type's own, tuned on dev, else its group's)."""
        return {name: {t: g.get("type_thresholds", {}).get(t, g["threshold"]) for t in g["types"]}
                for name, g in self.meta["groups"].items()}

    def decide(self, prepared: Prepared, scored: dict, thresholds: dict[str, dict[str, float]] | None = None) -> list[Relation]:
        """Relations whose best type scores above that type's threshold, with evidence sentences (of a group that
        keeps the most specific relations, those ``most_specific`` keeps)."""
        thresholds = thresholds or self.thresholds()
        relations = []
        spans = None
        for name, group in self.meta["groups"].items():
            columns = [self.rel_types.index(t) for t in group["types"]]
            found = []
            for a, b, probs in scored[name]:
                k = max(columns, key=lambda c: float(probs[c]))
                score = float(probs[k])
                if score < thresholds[name][self.rel_types[k]]:
                    continue
                spans = spans if spans is not None else sentences(prepared.doc.text)
                start, end = evidence(a, b, spans)
                novel = bool(float(probs[-1]) >= 0.5) if group["novelty"] else None
                found.append(Relation(prepared.doc.pmid, self.rel_types[k], a.id, b.id, score, start, end, self.version, novel))
            relations += most_specific(found, self.narrower) if group.get("most_specific") and len(found) > 1 else found
        return relations

    def predict(self, docs: list[Document], batch_size: int = 16) -> list[list[Relation]]:
        """Relations between the normalised mentions (``ids``) already on each document."""
        self.model.eval()
        prepared = [prepare(d, self.tokenizer) for d in docs]
        return [self.decide(p, s) for p, s in zip(prepared, self.scores(prepared))]


def most_specific(relations: list[Relation], narrower: Callable[[str, str], bool]) -> list[Relation]:
    """The relations less those to a broader object: a relation is dropped when another of the same type and subject
    relates a concept below its object (``narrower``) and scores at least as high ("induces cardiotoxicity" beside
    "induces heart diseases"). BC5CDR annotates only the most specific disease. The subject end is left alone: the
    chemical tree is structural (doxorubicin lies below daunorubicin), so a narrower chemical is another drug."""

    def broader(r: Relation, o: Relation) -> bool:
        return o is not r and o.type == r.type and o.subject == r.subject and o.score >= r.score and narrower(o.object, r.object)

    return [r for r in relations if not any(broader(r, o) for o in relations)]


def evidence(a: Entity, b: Entity, spans: list[tuple[int, int]]) -> tuple[int | None, int | None]:
    """Offsets of the sentence(s) holding the closest mentions of the two entities."""
    best = min(((abs(x.start - y.start), x, y) for x in a.mentions for y in b.mentions), key=lambda t: t[0], default=None)
    if best is None or not spans:
        return None, None
    lo, hi = min(best[1].start, best[2].start), max(best[1].end, best[2].end)
    start = next((s for s, e in spans if s <= lo < e), spans[0][0])
    end = next((e for s, e in spans if s < hi <= e), spans[-1][1])
    return start, end


# -- training ---------------------------------------------------------------------------------

def groups_from(corpora: list[CorpusDocs]) -> dict[str, dict]:
    """One relation group per training corpus: its types, entity type pairs (from gold), novelty."""
    groups: dict[str, dict] = {}
    for c in corpora:
        if not c.relation_types:
            continue
        key = c.name.split(":")[0]
        pairs = set()
        novelty = False
        for d in c.documents:
            types = {i: m.type for m in d.mentions for i in m.ids}
            for r in d.relations:
                if r.subject in types and r.object in types:
                    pair = (types[r.subject], types[r.object])
                    if r.type != "CID":
                        pair = tuple(sorted(pair, key=TYPE_ORDER.index))
                    pairs.add(pair)
                novelty = novelty or r.novel is not None
        group = groups.setdefault(key, {"types": list(c.relation_types), "pairs": [], "novelty": novelty, "threshold": 0.5})
        group["pairs"] = sorted({tuple(p) for p in group["pairs"]} | pairs)
        if c.most_specific:
            group["most_specific"] = True
    return groups


def _targets(extractor: RelationExtractor, p: Prepared, group: dict, pairs) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    gold = {}
    for r in p.doc.relations:
        key = (r.subject, r.object) if r.type == "CID" else tuple(sorted((r.subject, r.object)))
        gold[key] = r
    n = len(extractor.rel_types)
    target = torch.zeros((len(pairs), n + 1))
    supervised = torch.zeros((len(pairs), n + 1), dtype=torch.bool)
    for c in (extractor.rel_types.index(t) for t in group["types"]):
        supervised[:, c] = True
    for k, (a, b) in enumerate(pairs):
        r = gold.get((a.id, b.id)) or gold.get((b.id, a.id))
        if r is not None and r.type in group["types"]:
            target[k, extractor.rel_types.index(r.type)] = 1.0
            if group["novelty"] and r.novel is not None:
                target[k, n] = float(r.novel)
                supervised[k, n] = True
    positive = target[:, :n].sum(-1) > 0
    return target, supervised, positive


def training_pairs(extractor: RelationExtractor, p: Prepared, group: dict, neg_ratio: float, rng: random.Random):
    """One epoch's pairs of a training document: every positive and ``neg_ratio`` sampled negatives per positive,
    with their targets and supervised columns; None when the document has no candidate pair."""
    pairs = extractor.candidates(p, group)
    if not pairs:
        return None
    target, supervised, positive = _targets(extractor, p, group, pairs)
    pos = [k for k in range(len(pairs)) if positive[k]]
    neg = [k for k in range(len(pairs)) if not positive[k]]
    keep = pos + rng.sample(neg, min(len(neg), int(neg_ratio * max(1, len(pos)))))
    return [pairs[k] for k in keep], target[keep], supervised[keep]


GRID = [x / 20 for x in range(1, 20)]


def _score_at(scored_docs, extractor: RelationExtractor, name: str, corpus: CorpusDocs, per_type: dict[str, float]) -> dict:
    """Dev scores of group ``name`` when its types have the thresholds ``per_type`` (other groups off)."""
    scorer = RelationScorer(corpus.relation_types, novelty=extractor.meta["groups"][name]["novelty"])
    thresholds = {n: {t: per_type[t] if n == name else 1.1 for t in g["types"]} for n, g in extractor.meta["groups"].items()}
    for p, s in scored_docs:
        scorer.add(p.doc.relations, extractor.decide(p, s, thresholds))
    return scorer.result()


def tune_threshold(scored_docs: list[tuple[Prepared, dict]], extractor: RelationExtractor, name: str, corpus: CorpusDocs) -> tuple[float, dict]:
    """The one threshold for all types of group ``name`` maximising pair+type F1 on dev, and the scores at it."""
    types = extractor.meta["groups"][name]["types"]
    best = (0.5, None)
    for t in GRID:
        result = _score_at(scored_docs, extractor, name, corpus, dict.fromkeys(types, t))
        if best[1] is None or result["micro"]["f1"] > best[1]["micro"]["f1"]:
            best = (t, result)
    return best


def tune_type_thresholds(scored_docs: list[tuple[Prepared, dict]], extractor: RelationExtractor, name: str, corpus: CorpusDocs,
                         start: float) -> tuple[dict[str, float], dict]:
    """Thresholds per relation type of group ``name`` (one pass of coordinate ascent from ``start``, keeping a
    change only when it raises pair+type F1 on dev by at least 0.001), and the scores at them."""
    types = extractor.meta["groups"][name]["types"]
    per_type = dict.fromkeys(types, start)
    best = _score_at(scored_docs, extractor, name, corpus, per_type)
    for rel_type in types if len(types) > 1 else []:
        for t in GRID:
            trial = dict(per_type, **{rel_type: t})
            result = _score_at(scored_docs, extractor, name, corpus, trial)
            if result["micro"]["f1"] >= best["micro"]["f1"] + 0.001:
                per_type, best = trial, result
    return per_type, best


def retune_thresholds(extractor: RelationExtractor, dev_sets: list[CorpusDocs]) -> dict[str, dict]:
    """Tune the group and per-type thresholds of a trained model on dev corpora, in place; returns the dev scores."""
    results = {}
    for c in dev_sets:
        name = c.name.split(":")[0]
        if name not in extractor.meta["groups"]:
            continue
        prepared = [prepare(d, extractor.tokenizer) for d in c.documents]
        scored = list(zip(prepared, extractor.scores(prepared)))
        group = extractor.meta["groups"][name]
        group["threshold"], _ = tune_threshold(scored, extractor, name, c)
        group["type_thresholds"], result = tune_type_thresholds(scored, extractor, name, c, group["threshold"])
        results[c.name] = dict(result, threshold=group["threshold"], type_thresholds=group["type_thresholds"])
    return results


def train_re(
    train: list[str], dev: list[str], settings: Settings, base_model: str, out: Path, cfg: TrainConfig, progress: bool = True,
    resume: bool = False,
) -> dict[str, Any]:
    """Fine-tune the relation model on gold entities, tune thresholds on dev, save; returns the summary."""
    set_threads(settings)
    started = time.perf_counter()
    train_sets = [load(name, settings, cfg.train_limit) for name in train]
    dev_sets = [load(name, settings, cfg.dev_limit) for name in dev]
    groups = groups_from(train_sets)
    if not groups:
        raise InputError(f"none of {', '.join(train)} annotates relations; train on bc5cdr:train or biored:train")
    extractor = RelationExtractor.from_base(base_model, groups, cfg, settings)
    extractor.narrower  # the MeSH hierarchy of a most-specific group loads now (a missing index is built), not after an epoch
    start = continue_from(extractor, cfg)
    extractor.dtype = compute_dtype(device(), cfg.precision)
    tok = extractor.tokenizer
    swapper = NameSwapper.from_documents([d for c in train_sets for d in c.documents]) if cfg.augment else None
    fixed = {c.name: [prepare(d, tok) for d in c.documents] for c in train_sets if c.relation_types}
    dev_prepared = {c.name: [prepare(d, tok) for d in c.documents] for c in dev_sets}

    def make_batches(rng: random.Random):
        items = []
        for c in train_sets:
            if not c.relation_types:
                continue
            group = groups[c.name.split(":")[0]]
            for d, p in zip(c.documents, fixed[c.name]):
                if swapper is not None:
                    text, mentions = swapper.apply(d.text, d.mentions, rng)
                    p = prepare(d, tok, mentions, text)
                sampled = training_pairs(extractor, p, group, cfg.neg_ratio, rng)
                if sampled is not None:
                    items.append((p, *sampled))
        rng.shuffle(items)
        return [items[b:b + cfg.batch_size] for b in range(0, len(items), cfg.batch_size)]

    def loss_fn(batch):
        embeddings = extractor._entity_states([p for p, *_ in batch], grad=True)
        losses = []
        for emb, (_, pairs, target, supervised) in zip(embeddings, batch):
            logits = extractor._logits(emb, pairs)
            target, supervised = target.to(logits.device), supervised.to(logits.device)
            loss = nn.functional.binary_cross_entropy_with_logits(logits, target, reduction="none")
            losses.append(loss[supervised])
        return torch.cat(losses).mean()

    def evaluate():
        results, total = {}, 0.0
        for c in dev_sets:
            name = c.name.split(":")[0]
            if name not in groups:
                continue
            scored = list(zip(dev_prepared[c.name], extractor.scores(dev_prepared[c.name])))
            threshold, _ = tune_threshold(scored, extractor, name, c)
            per_type, result = tune_type_thresholds(scored, extractor, name, c, threshold)
            groups[name]["threshold"], groups[name]["type_thresholds"] = threshold, per_type
            results[c.name] = dict(result, threshold=threshold, type_thresholds=per_type)
            total += result["micro"]["f1"]
        return total / max(1, len(results)), {"results": results, "thresholds": {
            n: {"threshold": g["threshold"], "type_thresholds": g.get("type_thresholds", {})} for n, g in groups.items()}}

    result = fit(extractor.model, make_batches, loss_fn, evaluate, cfg, extractor.model.encoder.get_input_embeddings(), progress,
                 checkpoint=store.checkpoint_path(out), resume=resume, frozen_rows=len(tok) - len(markers()))
    for name, t in result.dev_scores.get("thresholds", {}).items():
        groups[name].update(t)
    dev_scores = {}
    for corpus, r in result.dev_scores.get("results", {}).items():
        dev_scores[corpus] = {"micro (gold entities)": r["micro"], **{k: v for k, v in r.get("levels", {}).items()}}
    summary = {
        "kind": "re",
        "base_model": str(base_model),
        "labels": extractor.rel_types + ["novel"],
        "corpora": [c.card_row("train") for c in train_sets] + [c.card_row("dev") for c in dev_sets],
        "hyperparameters": cfg.to_dict(),
        "thresholds": store.decisions(extractor.meta),
        "dev_scores": dev_scores,
        **result.card_fields(),
        "initialised_from": start,
    }
    summary["train_seconds"] = time.perf_counter() - started
    summary["version"] = extractor.save(out, summary)
    summary["out"] = str(out)
    return summary
