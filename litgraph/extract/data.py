"""Data preparation shared by the NER and relation models.

Documents are tokenised once with a fast tokenizer (subword offsets into ``doc.text``), words are
aligned to their subwords, and token sequences longer than the model window are cut into
overlapping windows. Each window *owns* the middle of its overlap with its neighbours, so every
token's prediction comes from exactly one window and is never taken from a window edge.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Callable

import torch

from litgraph.extract.train import autocast
from litgraph.records import Mention

#: Entity types the NER model tags (BioRED's Variant, Species and CellLine are kept: BioRED relations use them).
NER_TYPES = ("Chemical", "Disease", "Gene", "Variant", "Species", "CellLine")
#: Windows per encoder call at inference on a CPU. One window per call has no padding and no attention mask, so
#: attention takes PyTorch's unmasked kernel: the shipped models ran 1.18x faster than at 8 windows per call
#: (alternating rounds, 100 BC5CDR dev abstracts; 8 had been 1.3x faster than 16), with the same scores within bf16
#: rounding (docs/models.md, "Inference"). A GPU keeps the caller's batch.
CPU_INFERENCE_WINDOWS = 1


def bio_labels(types: tuple[str, ...] = NER_TYPES) -> list[str]:
    """``O`` followed by ``B-type``/``I-type`` for each type."""
    return ["O"] + [f"{prefix}-{t}" for t in types for prefix in ("B", "I")]


@dataclass
class Encoded:
    """A tokenised text: subword ids, their character offsets and the word each belongs to."""

    input_ids: list[int]
    offsets: list[tuple[int, int]]
    word_ids: list[int]
    words: list[tuple[int, int, int]] | None = field(default=None, repr=False, compare=False)  # word_spans, once

    def __len__(self) -> int:
        return len(self.input_ids)


def encode(tokenizer, text: str) -> Encoded:
    """Tokenise ``text`` without special tokens, keeping offsets and word alignment."""
    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, truncation=False, verbose=False)
    word_ids = enc.word_ids()
    return Encoded(list(enc["input_ids"]), [tuple(o) for o in enc["offset_mapping"]], [w if w is not None else -1 for w in word_ids])


@dataclass(frozen=True)
class Window:
    """Tokens ``start:end`` go through the model; tokens ``own_start:own_end`` take their prediction from it."""

    start: int
    end: int
    own_start: int
    own_end: int


def windows(n: int, size: int, overlap: int) -> list[Window]:
    """Overlapping windows of at most ``size`` tokens covering ``n`` tokens."""
    if n <= size:
        return [Window(0, n, 0, n)]
    step = max(1, size - overlap)
    starts = list(range(0, n - size, step)) + [n - size]
    out = []
    for i, s in enumerate(starts):
        own_s = 0 if i == 0 else (s + starts[i - 1] + size) // 2
        own_e = n if i == len(starts) - 1 else (starts[i + 1] + s + size) // 2
        out.append(Window(s, s + size, own_s, own_e))
    return out


def word_spans(enc: Encoded) -> list[tuple[int, int, int]]:
    """For each word: (first subword index, character start, character end); computed once per encoding."""
    if enc.words is not None:
        return enc.words
    spans: dict[int, list[int]] = {}
    for i, w in enumerate(enc.word_ids):
        if w < 0:
            continue
        if w not in spans:
            spans[w] = [i, enc.offsets[i][0], enc.offsets[i][1]]
        else:
            spans[w][2] = enc.offsets[i][1]
    enc.words = [tuple(v) for _, v in sorted(spans.items())]
    return enc.words


def ner_targets(enc: Encoded, mentions: list[Mention], annotates: tuple[str, ...], labels: list[str]) -> list[int]:
    """Per subword, a bit mask of the labels the loss accepts (0 = no loss).

    The first subword of each word carries the word's BIO label. A word outside every gold mention
    accepts ``O`` *and* the B/I labels of every type the corpus does not annotate, so a corpus that
    ignores genes never teaches the model that genes are "outside".
    """
    index = {label: i for i, label in enumerate(labels)}
    outside = 1 << index["O"]
    for t in {label[2:] for label in labels if label != "O"} - set(annotates):
        outside |= (1 << index[f"B-{t}"]) | (1 << index[f"I-{t}"])
    spans = sorted((m.start, m.end, m.type) for m in mentions if f"B-{m.type}" in index)
    masks = [0] * len(enc)
    j = 0
    inside: tuple[int, int, str] | None = None
    for first, start, end in word_spans(enc):
        while j < len(spans) and spans[j][1] <= start:
            j += 1
        hit = spans[j] if j < len(spans) and spans[j][0] < end else None
        if hit is None:
            masks[first] = outside
            inside = None
        else:
            prefix = "I" if inside == hit else "B"
            masks[first] = 1 << index[f"{prefix}-{hit[2]}"]
            inside = hit
    return masks


@dataclass
class NameSwapper:
    """Mention replacement (``--augment``): swap a concept's mentions for another name of the same type."""

    names: dict[str, list[str]] = field(default_factory=dict)
    probability: float = 0.3

    @classmethod
    def from_documents(cls, docs, probability: float = 0.3) -> "NameSwapper":
        names: dict[str, set[str]] = {}
        for doc in docs:
            for m in doc.mentions:
                names.setdefault(m.type, set()).add(m.text)
        return cls({t: sorted(v) for t, v in names.items()}, probability)

    def apply(self, text: str, mentions: list[Mention], rng: random.Random) -> tuple[str, list[Mention]]:
        """A new (text, mentions) with some concepts renamed; all mentions of a concept get the same name."""
        choice: dict[tuple, str | None] = {}
        pieces, out, cursor, shift = [], [], 0, 0
        for m in sorted(mentions, key=lambda m: m.start):
            if m.start < cursor:  # overlapping mentions are left alone
                continue
            key = (m.type, tuple(m.ids) or m.text.lower())
            if key not in choice:
                pool = self.names.get(m.type, [])
                choice[key] = rng.choice(pool) if pool and rng.random() < self.probability else None
            new = choice[key] or m.text
            pieces.append(text[cursor:m.start])
            start = m.start + shift
            pieces.append(new)
            shift += len(new) - (m.end - m.start)
            cursor = m.end
            out.append(Mention(m.doc_id, start, start + len(new), new, m.type, list(m.ids), source_type=m.source_type))
        pieces.append(text[cursor:])
        return "".join(pieces), out


def windowed_forward(
    forward: Callable[..., torch.Tensor],
    sequences: list[list[int]],
    *,
    tags: list[list[int]] | None = None,
    cls_id: int,
    sep_id: int,
    pad_id: int,
    size: int,
    overlap: int,
    batch_size: int,
    device: torch.device | str = "cpu",
    dtype: torch.dtype | None = None,
) -> list[torch.Tensor]:
    """Run ``forward`` over token sequences of any length; return one ``[len(seq), D]`` tensor per sequence.

    Sequences are cut into windows of ``size - 2`` tokens (plus [CLS]/[SEP]), windows from all
    sequences are batched by length, and each token keeps the output of the window that owns it.
    ``dtype`` (bf16) runs ``forward`` under autocast; the outputs are always fp32. Inference on a CPU (no
    gradients) takes at most ``CPU_INFERENCE_WINDOWS`` windows per call. With ``tags`` (one
    list per sequence, one id per token), ``forward`` also gets them as a third tensor (0 on [CLS]/[SEP]).
    """
    device = torch.device(device)
    if device.type == "cpu" and not torch.is_grad_enabled():
        batch_size = min(batch_size, CPU_INFERENCE_WINDOWS)
    inner = size - 2
    items = [(d, w) for d, seq in enumerate(sequences) for w in windows(len(seq), inner, overlap)]
    items.sort(key=lambda item: item[1].end - item[1].start)
    parts: list[list[tuple[int, torch.Tensor]]] = [[] for _ in sequences]
    for b in range(0, len(items), batch_size):
        chunk = items[b:b + batch_size]
        width = max(w.end - w.start for _, w in chunk) + 2
        ids = torch.full((len(chunk), width), pad_id, dtype=torch.long)
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        extra = torch.zeros((len(chunk), width), dtype=torch.long)
        for k, (d, w) in enumerate(chunk):
            row = [cls_id] + sequences[d][w.start:w.end] + [sep_id]
            ids[k, : len(row)] = torch.tensor(row)
            mask[k, : len(row)] = 1
            if tags is not None:
                extra[k, 1: len(row) - 1] = torch.tensor(tags[d][w.start:w.end])
        with autocast(device, dtype):
            args = (ids.to(device), mask.to(device)) + ((extra.to(device),) if tags is not None else ())
            out = forward(*args).float()
        for k, (d, w) in enumerate(chunk):
            lo, hi = 1 + w.own_start - w.start, 1 + w.own_end - w.start
            parts[d].append((w.own_start, out[k, lo:hi]))
    results = []
    for d, seq in enumerate(sequences):
        if not parts[d]:
            results.append(torch.zeros((0, 0)))
            continue
        results.append(torch.cat([t for _, t in sorted(parts[d], key=lambda p: p[0])], dim=0))
    return results
