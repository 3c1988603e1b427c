"""Several batches in flight on CPU: results in order, torch's thread count restored, errors surface."""

from __future__ import annotations

import threading
import time

import pytest
import torch

from llmscan.streams import auto_streams, concurrent_batches


def test_results_come_in_order_with_several_running_at_once():
    running, peak, lock = [0], [0], threading.Lock()

    def slow(i: int) -> int:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.02 * (5 - i % 5))  # later items finish first
        with lock:
            running[0] -= 1
        return i * i

    before = torch.get_num_threads()
    with concurrent_batches(3) as ordered_map:
        assert list(ordered_map(slow, range(10))) == [i * i for i in range(10)]
    assert peak[0] == 3
    assert torch.get_num_threads() == before


def test_an_error_in_one_batch_is_raised_and_threads_restored():
    before = torch.get_num_threads()

    def fails_on_three(i: int) -> int:
        if i == 3:
            raise ValueError("batch 3")
        return i

    with pytest.raises(ValueError, match="batch 3"), concurrent_batches(2) as ordered_map:
        list(ordered_map(fails_on_three, range(8)))
    assert torch.get_num_threads() == before


def test_auto_streams():
    small = torch.nn.Linear(4, 4)
    big = torch.nn.Module()  # 1.2B parameters on CPU, as an expanded view that takes no memory
    big.weight = torch.nn.Parameter(torch.zeros(1).expand(1_200_000_000), requires_grad=False)
    with torch.device("meta"):
        elsewhere = torch.nn.Linear(4, 4)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        assert auto_streams(3, small) == 3
        assert auto_streams(0, small) == 2
        assert auto_streams(0, big) == 1  # a large model: kernels long enough, memory for one batch
        assert auto_streams(0, elsewhere) == 1  # not a CPU
        torch.set_num_threads(1)
        assert auto_streams(0, small) == 1
    finally:
        torch.set_num_threads(threads)
