"""FGM adversarial training (``litgraph.extract.train.FGM``) on a real encoder with the embedding matrix frozen, as
training freezes it by default."""

from __future__ import annotations

from pathlib import Path

import torch

from litgraph.extract.relations import RelationExtractor

SHIPPED_RE = Path(__file__).resolve().parents[1] / "litgraph" / "extract" / "shipped" / "re"


def test_fgm_moves_the_embeddings_of_a_frozen_matrix_along_the_gradient():
    """FGM's second pass sees the batch's word embeddings moved by ε·g/‖g‖, also when the embedding matrix is
    frozen (the default: it has no gradient of its own); evaluation passes are never moved."""
    from litgraph.extract.train import FGM

    encoder = RelationExtractor.load(SHIPPED_RE).model.encoder
    embeddings = encoder.embeddings.word_embeddings
    embeddings.weight.requires_grad_(False)
    fgm = FGM(embeddings, epsilon=1.0)
    seen = []
    embeddings.register_forward_hook(lambda module, inputs, output: seen.append(output.detach().clone()))
    ids = torch.randint(1000, 20000, (2, 30))
    encoder.train()
    encoder(input_ids=ids).last_hidden_state.pow(2).mean().backward()
    fgm.attack()
    assert len(fgm.moves) == 1 and abs(float(fgm.moves[0].norm()) - 1.0) < 1e-4
    move = fgm.moves[0].clone()
    encoder(input_ids=ids).last_hidden_state.pow(2).mean().backward()
    fgm.restore()
    assert torch.allclose(seen[1], seen[0] + move, atol=1e-6) and move.abs().max() > 0
    encoder.eval()
    with torch.no_grad():
        encoder(input_ids=ids)
    assert torch.equal(seen[2], seen[0])  # no move outside training
    fgm.close()
