"""Named-entity recognition: BIO token classification over subwords, windows for long texts, exact offsets.

Training mixes corpora that annotate different entity types; the loss marginalises over the labels
a corpus cannot contradict (see ``data.ner_targets``).
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import torch
from transformers import AutoConfig, AutoModelForTokenClassification, AutoTokenizer

from litgraph.errors import InputError
from litgraph.extract import compact, store
from litgraph.extract.consistency import harmonise, join_coordinated, trim
from litgraph.extract.corpus import CorpusDocs, load
from litgraph.extract.data import NER_TYPES, NameSwapper, bio_labels, encode, ner_targets, windowed_forward, windows, word_spans
from litgraph.extract.metrics import score_ner
from litgraph.extract.lexicon import TAGS, Lexicon
from litgraph.extract.train import TrainConfig, compute_dtype, continue_from, device, fit, ready_for_inference, set_threads, widened
from litgraph.records import Document, Mention
from litgraph.settings import Settings


class NerTagger:
    """A fine-tuned token classifier with its tokenizer and label map."""

    kind = "ner"

    def __init__(self, model, tokenizer, meta: dict[str, Any], settings: Settings | None = None):
        self.model, self.tokenizer, self.meta = model, tokenizer, meta
        self.labels: list[str] = meta["labels"]
        self.types = tuple(sorted({label[2:] for label in self.labels if label != "O"}))
        self.dtype = compute_dtype(device())  # autocast dtype of inference (None: fp32)
        self.settings = settings  # where the dictionary of a model with dictionary features is (default: from the environment)
        self._lexicon: Lexicon | None = None

    @property
    def lexicon(self) -> Lexicon | None:
        """The dictionary of a model trained with dictionary features (loaded from the index on first use)."""
        if self._lexicon is None and self.uses_lexicon:
            self._lexicon = Lexicon.load(self.settings or Settings.from_env())
        return self._lexicon

    @lexicon.setter
    def lexicon(self, value: Lexicon) -> None:
        self._lexicon = value

    def use_lexicon(self) -> None:
        """Widen the token-type embeddings to the dictionary tags (all start as the untagged row)."""
        table = self.model.base_model.embeddings.token_type_embeddings
        wide = torch.nn.Embedding(TAGS, table.embedding_dim).to(table.weight.device)
        wide.weight.data.copy_(widened(table.weight.data, TAGS))
        self.model.base_model.embeddings.token_type_embeddings = wide
        self.model.config.type_vocab_size = TAGS
        self.meta["lexicon"] = {"tags": TAGS, "source": "normalisation index vocabulary names (no training-corpus names)"}

    @property
    def uses_lexicon(self) -> bool:
        """Whether the model was trained with dictionary features (and so needs them at inference)."""
        return "lexicon" in self.meta

    def tags(self, text: str, enc) -> list[int] | None:
        """Dictionary tags of each subword, or None for a model without dictionary features."""
        return self.lexicon.token_tags(text, enc) if self.uses_lexicon else None

    @property
    def version(self) -> str:
        return self.meta.get("version", "ner:untrained")

    @classmethod
    def from_base(cls, base_model: str, cfg: TrainConfig, types: tuple[str, ...] = NER_TYPES) -> "NerTagger":
        store.quiet_transformers()
        labels = bio_labels(types)
        tokenizer = AutoTokenizer.from_pretrained(base_model)
        model = AutoModelForTokenClassification.from_pretrained(
            base_model, num_labels=len(labels), id2label=dict(enumerate(labels)), label2id={l: i for i, l in enumerate(labels)}
        )
        meta = {"kind": "ner", "labels": labels, "base_model": str(base_model), "max_length": cfg.max_length, "overlap": cfg.overlap}
        return cls(model, tokenizer, meta)

    @classmethod
    def load(cls, folder: Path, settings: Settings | None = None) -> "NerTagger":
        """Load a model folder written by ``save``; InputError when it is missing or corrupt.

        ``settings``: where the normalisation index is, for a model with dictionary features.
        """
        meta = store.read_meta(folder, "ner")
        store.quiet_transformers()
        try:
            tokenizer = AutoTokenizer.from_pretrained(folder)
            if "packed" in meta:
                model = AutoModelForTokenClassification.from_config(AutoConfig.from_pretrained(folder))
                model.load_state_dict(compact.unpack(folder, meta["packed"]))
            else:
                model = AutoModelForTokenClassification.from_pretrained(folder)
        except InputError:
            raise
        except Exception as err:  # noqa: BLE001 - any load failure means a corrupt folder
            raise store.load_error(folder, "ner", err) from err
        ready_for_inference(model)
        return cls(model, tokenizer, meta, settings)

    def save(self, out: Path, summary: dict[str, Any]) -> str:
        """Write the model folder and its card; returns the version."""

        def write(tmp: Path) -> None:
            self.model.save_pretrained(tmp)
            self.tokenizer.save_pretrained(tmp)

        self.meta["version"] = store.save_folder(out, write, dict(self.meta, training=store.training_record(summary)),
                                                store.model_card("ner", summary))
        return self.meta["version"]

    def pack(self, src: Path, out: Path, bits: int = 4, scores: dict | None = None) -> dict[str, Any]:
        """Write the model folder ``src`` (this model, loaded from it) as a delta over its base; returns the meta."""
        prefix = f"{self.model.base_model_prefix}."
        return compact.write_packed(src, out, self.model.state_dict(), dict(self.meta), prefix, bits, scores)

    def _probabilities(self, texts: list[str], encodings, batch_size: int) -> list[torch.Tensor]:
        tok = self.tokenizer

        def forward(ids, mask, tags=None):
            return self.model(input_ids=ids, attention_mask=mask, token_type_ids=tags).logits.float().softmax(-1)

        tags = [self.tags(t, e) for t, e in zip(texts, encodings)] if self.uses_lexicon else None
        return windowed_forward(
            forward, [e.input_ids for e in encodings], tags=tags, cls_id=tok.cls_token_id, sep_id=tok.sep_token_id,
            pad_id=tok.pad_token_id, size=self.meta["max_length"], overlap=self.meta["overlap"], batch_size=batch_size,
            device=next(self.model.parameters()).device, dtype=self.dtype,
        )

    @property
    def min_score(self) -> float:
        """The mention threshold tuned on dev (``tune_min_score``): a decoded mention whose score is below it is dropped."""
        return float(self.meta.get("min_score", 0.0))

    def predict(self, docs: list[Document], batch_size: int = 16) -> list[list[Mention]]:
        """Mentions found in each document's text (offsets into ``doc.text``)."""
        encodings, probs = self.label_probabilities(docs, batch_size)
        return [self.mentions(doc, enc, p) for doc, enc, p in zip(docs, encodings, probs)]

    def label_probabilities(self, docs: list[Document], batch_size: int = 16) -> tuple[list, list[torch.Tensor]]:
        """The subword encodings of the documents' texts and their label probabilities (the encoder pass)."""
        texts = [d.text for d in docs]
        encodings = [encode(self.tokenizer, t) for t in texts]
        was_training = self.model.training
        self.model.eval()
        with torch.inference_mode():
            probs = self._probabilities(texts, encodings, batch_size)
        self.model.train(was_training)
        return encodings, probs

    def mentions(self, doc: Document, enc, probs: torch.Tensor) -> list[Mention]:
        """The mentions of one document from its label probabilities: decoded, those scoring below ``min_score``
        dropped, edges trimmed, abbreviations made consistent, and (with the lexicon) coordinated names that share
        their last word joined."""
        is_name = self.lexicon.is_name if self.uses_lexicon else None
        decoded = [m for m in self._decode(doc, enc, probs) if m.score >= self.min_score]
        mentions = harmonise(doc.text, trim(decoded), is_name=is_name)
        return join_coordinated(doc.text, mentions, is_name) if is_name else mentions

    def _decode(self, doc: Document, enc, probs: torch.Tensor) -> list[Mention]:
        text = doc.text
        mentions: list[Mention] = []
        current: list[Any] | None = None  # [start, end, type, scores]

        def close():
            if current is not None:
                start, end, etype, scores = current
                mentions.append(Mention(doc.pmid, start, end, text[start:end], etype, score=sum(scores) / len(scores), model=self.version))

        for first, start, end in word_spans(enc):
            p, k = probs[first].max(-1)
            label = self.labels[int(k)]
            if label == "O":
                close()
                current = None
                continue
            prefix, etype = label.split("-", 1)
            if prefix == "I" and current is not None and current[2] == etype:
                current[1] = end
                current[3].append(float(p))
            else:
                close()
                current = [start, end, etype, [float(p)]]
        close()
        return mentions


def _examples(tagger: NerTagger, corpora: list[CorpusDocs], swapper: NameSwapper | None, rng: random.Random,
              cache: dict) -> list[tuple[list[int], list[int], list[int]]]:
    """(input ids, allowed-label masks, dictionary tags) per window; ``cache`` keeps unaugmented encodings across epochs."""
    size = tagger.meta["max_length"] - 2
    tok = tagger.tokenizer
    out = []
    for corpus in corpora:
        for doc in corpus.documents:
            text, mentions = doc.text, doc.mentions
            if swapper is not None:
                text, mentions = swapper.apply(text, mentions, rng)
                enc = encode(tok, text)
                tags = tagger.tags(text, enc)
            else:
                if id(doc) not in cache:
                    enc = encode(tok, text)
                    cache[id(doc)] = (enc, tagger.tags(text, enc))
                enc, tags = cache[id(doc)]
            tags = tags or [0] * len(enc)
            masks = ner_targets(enc, mentions, corpus.annotates, tagger.labels)
            for w in windows(len(enc), size, tagger.meta["overlap"]):
                out.append(([tok.cls_token_id] + enc.input_ids[w.start:w.end] + [tok.sep_token_id], [0] + masks[w.start:w.end] + [0],
                            [0] + tags[w.start:w.end] + [0]))
    return out


def _batches(examples, batch_size: int, rng: random.Random, n_labels: int) -> list[tuple[torch.Tensor, ...]]:
    """Length-bucketed, shuffled batches of (input ids, attention mask, allowed-label mask, dictionary tags)."""
    order = list(range(len(examples)))
    rng.shuffle(order)
    pool = batch_size * 50
    groups = []
    for g in range(0, len(order), pool):
        chunk = sorted(order[g:g + pool], key=lambda i: len(examples[i][0]))
        groups += [chunk[b:b + batch_size] for b in range(0, len(chunk), batch_size)]
    rng.shuffle(groups)
    bits = torch.tensor([1 << i for i in range(n_labels)])
    out = []
    for group in groups:
        width = max(len(examples[i][0]) for i in group)
        ids = torch.zeros((len(group), width), dtype=torch.long)
        attn = torch.zeros((len(group), width), dtype=torch.long)
        masks = torch.zeros((len(group), width), dtype=torch.long)
        tags = torch.zeros((len(group), width), dtype=torch.long)
        for k, i in enumerate(group):
            tokens, target, tag = examples[i]
            ids[k, : len(tokens)] = torch.tensor(tokens)
            attn[k, : len(tokens)] = 1
            masks[k, : len(tokens)] = torch.tensor(target)
            tags[k, : len(tokens)] = torch.tensor(tag)
        out.append((ids, attn, (masks.unsqueeze(-1) & bits) > 0, tags))
    return out


def partial_label_loss(logits: torch.Tensor, allowed: torch.Tensor) -> torch.Tensor:
    """Negative log of the probability mass on the allowed labels, averaged over supervised tokens."""
    valid = allowed.any(-1)
    if not valid.any():
        return logits.sum() * 0.0
    logits = logits.float()
    full = torch.logsumexp(logits, -1)
    part = torch.logsumexp(logits.masked_fill(~allowed, float("-inf")), -1)
    return (full - part)[valid].mean()


#: The mention thresholds ``tune_min_score`` tries (0 keeps every decoded mention).
MIN_SCORES = (0.0, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9)


def tune_min_score(tagger: NerTagger, corpora: list[CorpusDocs], batch_size: int = 16,
                   sweep: dict[float, dict[str, float]] | None = None) -> tuple[float, dict[str, dict]]:
    """The mention threshold (``MIN_SCORES``) with the best mean strict micro-F1 over the dev corpora, and the scores
    at it (only the types each corpus annotates); ``sweep``, when given, gets every threshold's F1 per corpus. A
    mention's score is the mean probability of its words' labels; the partial-label loss leaves the tagger finding
    more than the corpora annotate (precision below recall), and dropping its least certain mentions gained
    0.9-2.0 F1 points on the dev splits (docs/models.md). The tagger is left with the chosen threshold."""
    passes = [(c, *tagger.label_probabilities(c.documents, batch_size)) for c in corpora]
    best: tuple[float, float, dict] | None = None
    for threshold in MIN_SCORES:
        tagger.meta["min_score"] = threshold
        scores = {c.name: score_ner(c.documents, [tagger.mentions(d, e, p) for d, e, p in zip(c.documents, encs, probs)], c.annotates)
                  for c, encs, probs in passes}
        mean = sum(s["micro"]["f1"] for s in scores.values()) / max(1, len(scores))
        if sweep is not None:
            sweep[threshold] = {name: s["micro"]["f1"] for name, s in scores.items()}
        if best is None or mean > best[1]:
            best = (threshold, mean, scores)
    tagger.meta["min_score"] = best[0]
    return best[0], best[2]


def train_ner(
    train: list[str], dev: list[str], settings: Settings, base_model: str, out: Path, cfg: TrainConfig, progress: bool = True,
    resume: bool = False,
) -> dict[str, Any]:
    """Fine-tune a tagger on the training corpora, keep the best dev epoch, save it; returns the summary."""
    set_threads(settings)
    started = time.perf_counter()
    train_sets = [load(name, settings, cfg.train_limit) for name in train]
    dev_sets = [load(name, settings, cfg.dev_limit) for name in dev]
    tagger = NerTagger.from_base(base_model, cfg)
    if cfg.lexicon:
        tagger.use_lexicon()
    start = continue_from(tagger, cfg)
    tagger.dtype = compute_dtype(device(), cfg.precision)
    swapper = NameSwapper.from_documents([d for c in train_sets for d in c.documents]) if cfg.augment else None
    n_labels = len(tagger.labels)

    encoded: dict = {}

    def make_batches(rng):
        return _batches(_examples(tagger, train_sets, swapper, rng, encoded), cfg.batch_size, rng, n_labels)

    def loss_fn(batch):
        ids, attn, allowed, tags = (t.to(tagger.model.device) for t in batch)
        return partial_label_loss(tagger.model(input_ids=ids, attention_mask=attn, token_type_ids=tags).logits, allowed)

    def evaluate():
        threshold, scores = tune_min_score(tagger, dev_sets, batch_size=cfg.batch_size * 2)
        return sum(s["micro"]["f1"] for s in scores.values()) / len(scores), {"results": scores, "min_score": threshold}

    result = fit(tagger.model, make_batches, loss_fn, evaluate, cfg, tagger.model.get_input_embeddings(), progress,
                 checkpoint=store.checkpoint_path(out), resume=resume,
                 fast=("classifier", "token_type_embeddings") if cfg.lexicon else ("classifier",))
    tagger.meta["min_score"] = result.dev_scores.get("min_score", 0.0)  # the best epoch's, as its scores
    summary = {
        "kind": "ner",
        "base_model": str(base_model),
        "labels": tagger.labels,
        "corpora": [c.card_row("train") for c in train_sets] + [c.card_row("dev") for c in dev_sets],
        "hyperparameters": cfg.to_dict(),
        "thresholds": {"min_score": tagger.min_score},
        "dev_scores": {name: {"micro": s["micro"], **{f"{t}": v for t, v in s["per_type"].items()}}
                       for name, s in result.dev_scores.get("results", {}).items()},
        **result.card_fields(),
        "initialised_from": start,
    }
    summary["train_seconds"] = time.perf_counter() - started
    summary["version"] = tagger.save(out, summary)
    summary["out"] = str(out)
    return summary
