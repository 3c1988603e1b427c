import torch

from llmscan.generate import generate_batch
from llmscan.models import load_model
from llmscan.prompts import derive_seed
from llmscan.sampling import (
    SamplingConfig,
    TemperatureDecayLogitsProcessor,
    build_processors,
    sample_from_scores,
)


def test_temperature_decay_schedule():
    proc = TemperatureDecayLogitsProcessor(prompt_length=3, start=10.0, end=1.0, steps=20)
    assert [proc.temperature_at(t) for t in (0, 10, 20, 50)] == [10.0, 5.5, 1.0, 1.0]
    scores = torch.tensor([[2.0, 0.0]])
    out0 = proc(torch.zeros((1, 3), dtype=torch.long), scores)
    out10 = proc(torch.zeros((1, 13), dtype=torch.long), scores)
    assert torch.allclose(out0, scores / 10) and torch.allclose(out10, scores / 5.5)


def test_decay_really_flattens_the_sampling_distribution():
    """At step 0 (T=10) a 2-logit gap gives p = sigmoid(0.2); at step 20 (T=1) sigmoid(2)."""
    cfg = SamplingConfig(top_k=0, temperature_decay=True)
    logits = torch.tensor([[2.0, 0.0]]).repeat(20000, 1)
    u = torch.rand(20000, generator=torch.Generator().manual_seed(0)) * 0.999999 + 1e-6
    for step, expected in ((0, torch.sigmoid(torch.tensor(0.2))), (20, torch.sigmoid(torch.tensor(2.0)))):
        procs = build_processors(cfg, prompt_length=1)
        seq = torch.zeros((20000, 1 + step), dtype=torch.long)
        picks = sample_from_scores(procs(seq, logits.clone()), u)
        assert abs((picks == 0).float().mean().item() - expected.item()) < 0.015


def test_top_k_support_only():
    procs = build_processors(SamplingConfig(top_k=3), prompt_length=1)
    logits = torch.arange(10.0).repeat(500, 1)
    picks = sample_from_scores(procs(torch.zeros((500, 1), dtype=torch.long), logits), torch.rand(500) + 1e-6)
    assert set(picks.tolist()) <= {7, 8, 9} and len(set(picks.tolist())) == 3


def test_samples_do_not_depend_on_batch_composition(random_model_dir):
    lm = load_model(str(random_model_dir), device="cpu")
    cfg = SamplingConfig(max_new_tokens=12)
    prompts = ["", "Record for", "Contact Maria", "Card"]
    seeds = [derive_seed(0, i) for i in range(4)]
    together = generate_batch(lm, prompts, seeds, cfg)
    alone = [generate_batch(lm, [p], [s], cfg)[0] for p, s in zip(prompts, seeds)]
    assert [g.token_ids for g in together] == [g.token_ids for g in alone]
    for g in together:
        assert len(g.token_logprobs) == len(g.token_ids) == len(g.token_mu)
        assert all(lp <= 0 for lp in g.token_logprobs)


def test_fused_logprobs_equal_a_separate_forward_pass(random_model_dir):
    lm = load_model(str(random_model_dir), device="cpu")
    g = generate_batch(lm, ["Record for"], [7], SamplingConfig(max_new_tokens=10))[0]
    prompt_ids = [lm.tokenizer.eos_token_id, *lm.tokenizer("Record for", add_special_tokens=False)["input_ids"]]
    ids = torch.tensor([prompt_ids + g.token_ids])
    with torch.no_grad():
        logp = torch.log_softmax(lm.model(ids).logits[0, :-1].float(), -1)
    ref = [logp[len(prompt_ids) - 1 + i, t].item() for i, t in enumerate(g.token_ids)]
    assert all(abs(a - b) < 1e-3 for a, b in zip(g.token_logprobs, ref))


def test_chat_models_get_their_template(random_model_dir):
    from llmscan.generate import encode_prompt

    lm = load_model(str(random_model_dir), device="cpu")
    plain = encode_prompt(lm, "Record for")
    lm.tokenizer.chat_template = "{% for m in messages %}<|endoftext|>user: {{ m['content'] }}\n{% endfor %}" \
                                 "{% if add_generation_prompt %}assistant:{% endif %}"
    lm.chat = True
    wrapped = encode_prompt(lm, "Record for")
    assert lm.tokenizer.decode(wrapped) == "<|endoftext|>user: Record for\nassistant:"
    assert encode_prompt(lm, "") == [lm.tokenizer.eos_token_id] and plain != wrapped


def test_loaded_models_use_the_fused_gelu_with_the_same_outputs(random_model_dir):
    from transformers import AutoModelForCausalLM
    from transformers.activations import GELUTanh, NewGELUActivation

    lm = load_model(str(random_model_dir), device="cpu")
    plain = AutoModelForCausalLM.from_pretrained(random_model_dir).eval()
    assert any(isinstance(m, NewGELUActivation) for m in plain.modules())  # GPT-2's gelu_new, as saved
    assert not any(isinstance(m, NewGELUActivation) for m in lm.model.modules())
    assert any(isinstance(m, GELUTanh) for m in lm.model.modules())
    ids = torch.randint(0, plain.config.vocab_size, (3, 20))
    with torch.no_grad():
        assert torch.allclose(lm.model(ids).logits, plain(ids).logits, atol=1e-5)
