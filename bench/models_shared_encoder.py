"""One encoder pass for NER and relations: a relation head over the NER model's own hidden states,
against the default two passes (the NER pass, then the relation model's pass over marked text), on the
same dev splits and the same abstracts.

The head reads the NER encoder's layer ``--layer`` states (the NER model stays frozen, so its states are
computed once), adds a learned entity-type embedding on each mention's subwords (the markers of the
two-pass model, as embeddings), runs ``--extra`` Transformer layers initialised from the NER encoder's
layers after ``--layer``, pools each entity as the log-sum-exp of its mentions' first subwords and
classifies pairs with the relation model's pair classifier. It is trained on the gold entities of
bc5cdr:train and biored:train with ``litgraph``'s own training loop, the best epoch chosen on dev.

Scores (pair+type F1, thresholds tuned on dev): with gold entities, and end to end (the NER model's
mentions from the same pass, normalised), for the head and for the relation model in use. Speed:
abstracts/s of NER + normalisation + relations both ways over the same BC5CDR dev abstracts, in turns.

    python bench/models_shared_encoder.py [--layer 5] [--extra 1] [--epochs 6] [--limit N] [--speed-docs 100]

Writes bench/results/models_shared_encoder.json.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import random
import time
from pathlib import Path

import torch
from torch import nn

from litgraph.extract.corpus import CorpusDocs, load
from litgraph.extract.data import encode, windowed_forward
from litgraph.extract.infer import Extractor
from litgraph.extract.relations import (TYPE_ORDER, Entity, Prepared, RelationExtractor, _score_at, groups_from, prepare, token_span, training_pairs,
                                        tune_threshold, tune_type_thresholds)
from litgraph.extract.train import TrainConfig, fit
from litgraph.records import Document
from litgraph.settings import Settings

RESULTS = Path(__file__).parent / "results"


class SharedHead(nn.Module):
    """Type embeddings + Transformer layers over NER states, entity pooling, the pair classifier."""

    def __init__(self, ner_layers, hidden: int, n_out: int):
        super().__init__()
        self.layers = nn.ModuleList(copy.deepcopy(layer) for layer in ner_layers)
        self.type_emb = nn.Embedding(2 * len(TYPE_ORDER) + 1, hidden, padding_idx=0)  # 0: no mention; B and I per type
        nn.init.normal_(self.type_emb.weight, std=0.02)
        with torch.no_grad():
            self.type_emb.weight[0].zero_()
        self.head = nn.Sequential(nn.Linear(4 * hidden, hidden), nn.GELU(), nn.Dropout(0.1), nn.Linear(hidden, n_out))

    def forward(self, states: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        h = states + self.type_emb(tags)
        additive = (1.0 - mask[:, None, None, :].to(h.dtype)) * torch.finfo(h.dtype).min
        for layer in self.layers:
            out = layer(h, attention_mask=additive)
            h = out[0] if isinstance(out, tuple) else out
        return h

    def pairs(self, first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
        return self.head(torch.cat([first, second, first * second, (first - second).abs()], dim=-1))


def ner_pass(ner, docs: list[Document], layer: int, batch_size: int = 16):
    """One NER pass per document: (encoding, layer-``layer`` states in bf16, the decoded mentions)."""
    tok = ner.tokenizer
    encodings = [encode(tok, d.text) for d in docs]
    tags = [ner.tags(d.text, e) for d, e in zip(docs, encodings)] if ner.uses_lexicon else None

    def forward(ids, mask, tags=None):
        out = ner.model(input_ids=ids, attention_mask=mask, token_type_ids=tags, output_hidden_states=True)
        return torch.cat([out.hidden_states[layer], out.logits.float().softmax(-1)], -1)

    with torch.inference_mode():
        outs = windowed_forward(forward, [e.input_ids for e in encodings], tags=tags, cls_id=tok.cls_token_id, sep_id=tok.sep_token_id,
                                pad_id=tok.pad_token_id, size=ner.meta["max_length"], overlap=ner.meta["overlap"], batch_size=batch_size,
                                device="cpu", dtype=ner.dtype)
    hidden = ner.model.config.hidden_size
    return [(e, o[:, :hidden].to(torch.bfloat16), ner.mentions(d, e, o[:, hidden:])) for d, e, o in zip(docs, encodings, outs)]


def entities(doc: Document, enc, mentions=None) -> tuple[Prepared, torch.Tensor]:
    """The document's entities by concept id at NER subword positions, and each subword's type tag."""
    mentions = doc.mentions if mentions is None else mentions
    tags = torch.zeros(len(enc), dtype=torch.long)
    ents: dict[str, Entity] = {}
    for m in sorted(mentions, key=lambda m: (m.start, -m.end)):
        span = token_span(enc, m) if m.ids and m.type in TYPE_ORDER else None
        if span is None:
            continue
        first, last = span
        t = TYPE_ORDER.index(m.type)
        tags[first:last + 1] = 2 * t + 2
        tags[first] = 2 * t + 1
        for cid in m.ids:
            entity = ents.setdefault(cid, Entity(cid, m.type, [], []))
            entity.positions.append(first)
            entity.mentions.append(m)
    return Prepared(doc, [], ents), tags


def encode_docs(head: SharedHead, items) -> list[torch.Tensor]:
    """The head's token states for (states, tags) pairs, padded into one batch."""
    width = max(len(s) for s, _ in items)
    hidden = items[0][0].shape[1]
    states = torch.zeros(len(items), width, hidden)
    tags = torch.zeros(len(items), width, dtype=torch.long)
    mask = torch.zeros(len(items), width, dtype=torch.long)
    for k, (s, t) in enumerate(items):
        states[k, :len(s)], tags[k, :len(s)], mask[k, :len(s)] = s.float(), t, 1
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = head(states, tags, mask)
    return [out[k, :len(s)].float() for k, (s, _) in enumerate(items)]


def pooled(h: torch.Tensor, prepared: Prepared) -> dict[str, torch.Tensor]:
    return {cid: torch.logsumexp(h[e.positions], dim=0) for cid, e in prepared.entities.items()}


def score(extractor: RelationExtractor, head: SharedHead, examples, batch_size: int = 16):
    """(prepared, {group: [(a, b, probs)]}) per document, for ``tune_threshold``."""
    out = []
    with torch.inference_mode():
        for b in range(0, len(examples), batch_size):
            chunk = examples[b:b + batch_size]
            candidates = [{n: extractor.candidates(p, g) for n, g in extractor.meta["groups"].items()} for p, _, _ in chunk]
            need = [k for k, c in enumerate(candidates) if any(c.values())]
            states = dict(zip(need, encode_docs(head, [(chunk[k][1], chunk[k][2]) for k in need]))) if need else {}
            for k, (p, _, _) in enumerate(chunk):
                scored = {}
                for name, pairs in candidates[k].items():
                    if not pairs:
                        scored[name] = []
                        continue
                    e = pooled(states[k], p)
                    probs = torch.sigmoid(head.pairs(torch.stack([e[a.id] for a, _ in pairs]), torch.stack([e[b.id] for _, b in pairs])).float())
                    scored[name] = [(a, b_, probs[i]) for i, (a, b_) in enumerate(pairs)]
                out.append((p, scored))
    return out


def tuned(extractor: RelationExtractor, scored, corpus: CorpusDocs) -> dict:
    """Pair+type F1 at thresholds tuned on these scores, and at the extractor's current thresholds."""
    name = corpus.name.split(":")[0]
    threshold, _ = tune_threshold(scored, extractor, name, corpus)
    per_type, result = tune_type_thresholds(scored, extractor, name, corpus, threshold)
    return {"f1": round(result["micro"]["f1"], 4), "threshold": threshold, "type_thresholds": per_type}


def at_own(extractor: RelationExtractor, scored, corpus: CorpusDocs) -> dict:
    """Pair+type F1 at the extractor's own thresholds (tuned with gold entities)."""
    name = corpus.name.split(":")[0]
    return {"f1": round(_score_at(scored, extractor, name, corpus, extractor.thresholds()[name])["micro"]["f1"], 4)}


def one_pass(extractor: Extractor, head: SharedHead, head_re: RelationExtractor, layer: int, docs: list[Document], batch_size: int) -> None:
    """NER + normalisation + relations with one encoder pass per window (what the bench times)."""
    for b in range(0, len(docs), batch_size):
        batch = docs[b:b + batch_size]
        examples = []
        for doc, (enc, states, mentions) in zip(batch, ner_pass(extractor.ner, batch, layer, batch_size)):
            doc.mentions = mentions
            extractor.normaliser.normalise(doc)
            prepared, tags = entities(doc, enc)
            examples.append((prepared, states, tags))
        for p, s in score(head_re, head, examples, batch_size):
            p.doc.relations = head_re.decide(p, s)


def speed(extractor: Extractor, head: SharedHead, head_re: RelationExtractor, layer: int, docs: list[Document], batch_size: int,
          rounds: int = 2) -> dict:
    """Abstracts/s of NER + normalisation + relations, two passes against one, in turns over the same abstracts."""
    runs = {"two_passes": lambda batch: list(extractor.annotate(batch, batch_size)),
            "one_pass": lambda batch: one_pass(extractor, head, head_re, layer, batch, batch_size)}
    times: dict[str, list[float]] = {mode: [] for mode in runs}
    for _ in range(rounds):
        for mode, run in runs.items():
            fresh = [Document(d.pmid, d.title, d.abstract) for d in docs]
            started = time.perf_counter()
            run(fresh)
            times[mode].append(time.perf_counter() - started)
    out = {mode: {"seconds": round(min(t), 2), "abstracts_per_s": round(len(docs) / min(t), 2)} for mode, t in times.items()}
    out["speedup"] = round(out["one_pass"]["abstracts_per_s"] / out["two_passes"]["abstracts_per_s"], 3)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layer", type=int, default=5, help="NER encoder layer the head reads (1 = first)")
    parser.add_argument("--extra", type=int, default=1, help="Transformer layers of the head (copies of the NER layers after --layer)")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--limit", type=int, default=None, help="documents per corpus (a quick run)")
    parser.add_argument("--speed-docs", type=int, default=100, help="BC5CDR dev abstracts timed both ways")
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args()
    settings = Settings.from_env()
    extractor = Extractor.from_settings(settings)
    ner, two_pass = extractor.ner, extractor.relations
    out = {"machine": f"{os.cpu_count()}-core {platform.machine()} CPU", "load_average_at_start": os.getloadavg(),
           "torch_threads": torch.get_num_threads(), "ner": ner.version, "relations": two_pass.version, "args": vars(args)}
    train_sets = [load(n, settings, args.limit) for n in ("bc5cdr:train", "biored:train")]
    dev_sets = [load(n, settings, args.limit) for n in ("bc5cdr:dev", "biored:dev")]
    started = time.perf_counter()
    examples, e2e_examples, e2e_docs = {}, {}, {}
    dev_names = {c.name for c in dev_sets}
    for corpus in train_sets + dev_sets:
        rows = []
        for doc, (enc, states, mentions) in zip(corpus.documents, ner_pass(ner, corpus.documents, args.layer, args.batch_size)):
            prepared, tags = entities(doc, enc)
            rows.append((prepared, states, tags))
            if corpus.name in dev_names:
                predicted = Document(doc.pmid, doc.title, doc.abstract)
                predicted.mentions = mentions
                extractor.normaliser.normalise(predicted)
                predicted.relations = doc.relations  # scored against the gold relations
                e2e_docs.setdefault(corpus.name, []).append(predicted)
                p, t = entities(predicted, enc)
                e2e_examples.setdefault(corpus.name, []).append((p, states, t))
        examples[corpus.name] = rows
    out["ner_pass_seconds"] = round(time.perf_counter() - started, 1)
    print(f"NER states of {sum(len(c.documents) for c in train_sets + dev_sets)} documents in {out['ner_pass_seconds']} s", flush=True)

    groups = groups_from(train_sets)
    rel_types = sorted({t for g in groups.values() for t in g["types"]})
    encoder_layers = ner.model.base_model.encoder.layer
    picks = [min(args.layer + k, len(encoder_layers)) - 1 for k in range(1, args.extra + 1)]
    head = SharedHead([encoder_layers[i] for i in picks], ner.model.config.hidden_size, len(rel_types) + 1)
    head_re = RelationExtractor(head, ner.tokenizer, {"relation_types": rel_types, "groups": groups, "version": "re:one-pass"})
    cfg = TrainConfig(epochs=args.epochs, lr=1e-4, head_lr=1e-3, batch_size=4, patience=2, freeze_embeddings=False)

    def make_batches(rng: random.Random):
        items = []
        for corpus in train_sets:
            group = groups[corpus.name.split(":")[0]]
            for p, states, tags in examples[corpus.name]:
                sampled = training_pairs(head_re, p, group, cfg.neg_ratio, rng)
                if sampled is not None:
                    items.append((p, states, tags, *sampled))
        rng.shuffle(items)
        return [items[b:b + cfg.batch_size] for b in range(0, len(items), cfg.batch_size)]

    def loss_fn(batch):
        states = encode_docs(head, [(s, t) for _, s, t, *_ in batch])
        losses = []
        for h, (p, _, _, pairs, target, supervised) in zip(states, batch):
            e = pooled(h, p)
            logits = head.pairs(torch.stack([e[a.id] for a, _ in pairs]), torch.stack([e[b.id] for _, b in pairs])).float()
            loss = nn.functional.binary_cross_entropy_with_logits(logits, target, reduction="none")
            losses.append(loss[supervised])
        return torch.cat(losses).mean()

    def evaluate():
        results = {c.name: tuned(head_re, score(head_re, head, examples[c.name]), c) for c in dev_sets}
        print(f"  dev (gold entities): {json.dumps(results)}", flush=True)
        return sum(r["f1"] for r in results.values()) / len(results), results

    no_word_embeddings = nn.Embedding(1, 1).requires_grad_(False)  # no FGM, no frozen vocabulary: the head has no word table
    result = fit(head, make_batches, loss_fn, evaluate, cfg, no_word_embeddings, progress=False, fast=("head", "type_emb"))
    out["train"] = {"best_epoch": result.best_epoch, "epoch_seconds": [round(s) for s in result.epoch_seconds],
                    "trainable_parameters": sum(p.numel() for p in head.parameters())}
    scores = {}
    for c in dev_sets:
        name = c.name.split(":")[0]
        gold = tuned(head_re, score(head_re, head, examples[c.name]), c)
        group = head_re.meta["groups"][name]
        group["threshold"], group["type_thresholds"] = gold["threshold"], gold["type_thresholds"]
        e2e_scored = score(head_re, head, e2e_examples[c.name])
        scores[c.name] = {"one_pass": {"gold_entities": gold, "end_to_end": at_own(head_re, e2e_scored, c),
                                       "end_to_end_tuned": tuned(head_re, e2e_scored, c)}}
        gold_prepared = [prepare(d, two_pass.tokenizer) for d in c.documents]
        e2e_prepared = [prepare(d, two_pass.tokenizer) for d in e2e_docs[c.name]]
        two_e2e = list(zip(e2e_prepared, two_pass.scores(e2e_prepared)))
        scores[c.name]["two_passes"] = {"gold_entities": tuned(two_pass, list(zip(gold_prepared, two_pass.scores(gold_prepared))), c),
                                        "end_to_end": at_own(two_pass, two_e2e, c), "end_to_end_tuned": tuned(two_pass, two_e2e, c)}
        print(c.name, json.dumps(scores[c.name]), flush=True)
    out["scores"] = scores
    gold_speed = load("bc5cdr:dev", settings, args.speed_docs).documents
    out["speed"] = speed(extractor, head, head_re, args.layer, gold_speed, args.batch_size)
    print("speed", json.dumps(out["speed"]), flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "models_shared_encoder.json").write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
