"""Data preparation and metrics of the models area, on real corpus documents (no training)."""

from __future__ import annotations

import random

import pytest
import torch

from litgraph.fetch.corpora import load_corpus
from litgraph.extract import default_base_model
from litgraph.extract.data import NameSwapper, bio_labels, encode, ner_targets, windowed_forward, windows, word_spans
from litgraph.extract.metrics import NerScorer, RelationScorer
from litgraph.records import Mention, Relation


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(default_base_model())


@pytest.mark.parametrize("n,size,overlap", [(0, 10, 3), (7, 10, 3), (10, 10, 3), (11, 10, 3), (95, 10, 4), (1000, 126, 32)])
def test_windows_own_every_token_exactly_once(n, size, overlap):
    ws = windows(n, size, overlap)
    owned = [i for w in ws for i in range(w.own_start, w.own_end)]
    assert owned == list(range(n))
    for w in ws:
        assert w.end - w.start <= size and w.start <= w.own_start <= w.own_end <= w.end
    if n > size:  # owned tokens keep context on both sides except at the document ends
        for w in ws[1:-1]:
            assert w.own_start - w.start >= overlap // 2 - 1 and w.end - w.own_end >= overlap // 2 - 1


def test_windowed_forward_returns_each_token_from_its_own_window():
    seqs = [list(range(100, 100 + n)) for n in (3, 40, 97)]

    def forward(ids, mask):  # output = input id and the position inside the window
        pos = torch.arange(ids.shape[1]).expand_as(ids)
        return torch.stack([ids.float(), pos.float()], dim=-1)

    out = windowed_forward(forward, seqs, cls_id=1, sep_id=2, pad_id=0, size=18, overlap=6, batch_size=4)
    for seq, values in zip(seqs, out):
        assert values[:, 0].tolist() == [float(x) for x in seq]
        assert values[:, 1].min() >= 1 and values[:, 1].max() <= 16  # never [CLS]/[SEP]


def test_cpu_inference_takes_small_batches_and_the_same_outputs():
    """Without gradients on a CPU the windows go through at most CPU_INFERENCE_WINDOWS at a time (less
    padding); the outputs are those of the caller's batch size, and training (gradients on) keeps it."""
    from litgraph.extract.data import CPU_INFERENCE_WINDOWS

    seqs = [list(range(100, 100 + n)) for n in (3, 40, 97, 12, 60, 8, 33, 71, 5, 19, 44, 90)]
    sizes = []

    def forward(ids, mask):
        sizes.append(ids.shape[0])
        return (ids.float() * mask).unsqueeze(-1)

    with torch.no_grad():
        small = windowed_forward(forward, seqs, cls_id=1, sep_id=2, pad_id=0, size=18, overlap=6, batch_size=64)
    assert max(sizes) == CPU_INFERENCE_WINDOWS < 64 and len(sizes) > 1
    sizes.clear()
    with torch.enable_grad():
        whole = windowed_forward(forward, seqs, cls_id=1, sep_id=2, pad_id=0, size=18, overlap=6, batch_size=64)
    assert len(sizes) == 1 and sizes[0] > CPU_INFERENCE_WINDOWS
    assert all(torch.equal(a, b) for a, b in zip(small, whole))


def test_ner_targets_mask_types_the_corpus_does_not_annotate(tokenizer, settings):
    labels = bio_labels()
    doc = load_corpus("bc5cdr:train", settings)[0]
    enc = encode(tokenizer, doc.text)
    masks = ner_targets(enc, doc.mentions, ("Chemical", "Disease"), labels)
    index = {l: i for i, l in enumerate(labels)}
    spans = word_spans(enc)
    inside = {(first) for first, s, e in spans for m in doc.mentions if m.start < e and s < m.end}
    for first, s, e in spans:
        allowed = {l for l, i in index.items() if masks[first] >> i & 1}
        if first in inside:
            assert len(allowed) == 1 and allowed.pop()[2:] in ("Chemical", "Disease")
        else:
            assert "O" in allowed and "B-Gene" in allowed and "I-Species" in allowed
            assert "B-Chemical" not in allowed and "B-Disease" not in allowed
    continuation = [i for i, w in enumerate(enc.word_ids) if i not in {f for f, _, _ in spans}]
    assert continuation and all(masks[i] == 0 for i in continuation)


def test_gold_labels_decode_back_to_exact_offsets(tokenizer, settings):
    """Encoding gold mentions as BIO and decoding them gives the same character spans."""
    from litgraph.extract.ner import NerTagger

    labels = bio_labels()
    tagger = NerTagger(None, tokenizer, {"labels": labels, "version": "ner:test"})
    docs = load_corpus("biored:dev", settings)[:20]
    total = exact = 0
    for doc in docs:
        enc = encode(tokenizer, doc.text)
        masks = ner_targets(enc, doc.mentions, ("Chemical", "Disease", "Gene", "Variant", "Species", "CellLine"), labels)
        probs = torch.zeros((len(enc), len(labels)))
        for i, m in enumerate(masks):
            if m:
                probs[i, m.bit_length() - 1] = 1.0
        decoded = tagger._decode(doc, enc, probs)
        assert all(m.text == doc.text[m.start:m.end] for m in decoded)
        gold = {(m.start, m.end, m.type) for m in doc.mentions}
        total += len(gold)
        exact += len(gold & {(m.start, m.end, m.type) for m in decoded})
    assert exact / total > 0.99


def test_name_swapper_keeps_offsets_on_the_new_names(settings):
    docs = load_corpus("bc5cdr:train", settings)[:30]
    swapper = NameSwapper.from_documents(docs, probability=1.0)
    text, mentions = swapper.apply(docs[0].text, docs[0].mentions, random.Random(1))
    assert text != docs[0].text
    assert all(text[m.start:m.end] == m.text for m in mentions)
    by_concept = {}
    for m in mentions:  # every mention of one concept gets the same new name
        by_concept.setdefault((m.type, tuple(m.ids)), set()).add(m.text)
    assert all(len(names) == 1 for key, names in by_concept.items() if key[1])


def _m(start, end, etype):
    return Mention("1", start, end, "x" * (end - start), etype)


def test_ner_scorer_hand_made_case():
    scorer = NerScorer(["Chemical", "Disease"])
    gold = [_m(0, 5, "Chemical"), _m(10, 20, "Disease"), _m(30, 35, "Disease"), _m(40, 45, "Chemical")]
    predicted = [
        _m(0, 5, "Chemical"),  # tp
        _m(10, 18, "Disease"),  # boundary error: fp + fn
        _m(30, 35, "Chemical"),  # type error: fp Chemical, fn Disease
        _m(50, 55, "Disease"),  # spurious
        _m(60, 65, "Gene"),  # not annotated by the corpus: ignored
    ]
    scorer.add(gold, predicted)
    result = scorer.result()
    assert result["micro"] == {"precision": 0.25, "recall": 0.25, "f1": 0.25, "tp": 1, "fp": 3, "fn": 3}
    assert result["per_type"]["Chemical"]["tp"] == 1 and result["per_type"]["Chemical"]["fp"] == 1
    assert result["per_type"]["Chemical"]["fn"] == 1
    assert result["per_type"]["Disease"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "tp": 0, "fp": 2, "fn": 2}
    assert result["confusion"] == {
        "Chemical": {"Chemical": 1, "missed": 1},
        "Disease": {"Chemical": 1, "boundary": 1},
        "none": {"Disease": 1},
    }
    assert result["documents"] == 1


def test_relation_scorer_levels_and_direction():
    gold = [
        Relation("1", "Association", "NCBIGene:1", "MESH:D1", novel=True),
        Relation("1", "Bind", "NCBIGene:2", "MESH:C2", novel=False),
    ]
    predicted = [
        Relation("1", "Association", "MESH:D1", "NCBIGene:1", novel=False),  # unordered pair, wrong novelty
        Relation("1", "Association", "NCBIGene:2", "MESH:C2", novel=False),  # right pair, wrong type
        Relation("1", "CID", "MESH:C2", "MESH:D1"),  # type the corpus does not annotate
    ]
    scorer = RelationScorer(["Association", "Bind"], novelty=True)
    scorer.add(gold, predicted)
    result = scorer.result()
    assert result["levels"]["pair"]["f1"] == 1.0
    assert result["micro"] == result["levels"]["pair+type"]
    assert (result["micro"]["tp"], result["micro"]["fp"], result["micro"]["fn"]) == (1, 1, 1)
    assert result["levels"]["pair+type+novelty"]["tp"] == 0
    assert result["per_type"]["Bind"]["fn"] == 1 and result["per_type"]["Association"]["fp"] == 1

    cid = RelationScorer(["CID"], novelty=False)
    cid.add([Relation("1", "CID", "MESH:C1", "MESH:D1")], [Relation("1", "CID", "MESH:D1", "MESH:C1")])
    assert cid.result()["micro"]["tp"] == 0  # CID is directed: chemical → disease
    assert "levels" not in cid.result()


def test_precision_setting_picks_the_autocast_dtype(monkeypatch):
    from litgraph.errors import InputError
    from litgraph.extract.train import compute_dtype, native_bf16

    cpu = torch.device("cpu")
    assert compute_dtype(cpu, "fp32") is None
    assert compute_dtype(cpu, "bf16") is torch.bfloat16
    assert compute_dtype(cpu, "auto") is (torch.bfloat16 if native_bf16(cpu) else None)
    monkeypatch.setenv("LITGRAPH_PRECISION", "fp32")
    assert compute_dtype(cpu) is None
    assert compute_dtype(cpu, "bf16") is torch.bfloat16  # an explicit option wins over the environment
    monkeypatch.setenv("LITGRAPH_PRECISION", "half")
    with pytest.raises(InputError, match="LITGRAPH_PRECISION"):
        compute_dtype(cpu)


def test_bf16_windowed_forward_returns_fp32_states_close_to_fp32(tokenizer, settings):
    from transformers import AutoModel

    model = AutoModel.from_pretrained(default_base_model()).eval()
    doc = load_corpus("bc5cdr:dev", settings)[0]
    ids = encode(tokenizer, doc.text).input_ids

    def forward(dtype):
        with torch.inference_mode():
            return windowed_forward(
                lambda i, m: model(input_ids=i, attention_mask=m).last_hidden_state, [ids], cls_id=tokenizer.cls_token_id,
                sep_id=tokenizer.sep_token_id, pad_id=tokenizer.pad_token_id, size=128, overlap=32, batch_size=4, dtype=dtype,
            )[0]

    full, half = forward(None), forward(torch.bfloat16)
    assert half.dtype == torch.float32 and half.shape == full.shape == (len(ids), model.config.hidden_size)
    assert torch.nn.functional.cosine_similarity(full, half, dim=-1).min() > 0.98
