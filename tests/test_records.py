import json

from llmscan.records import ShardWriter, read_complete_lines


def test_torn_tail_is_cut_and_appends_continue(tmp_path):
    path = tmp_path / "rank00000.jsonl"
    with ShardWriter(path) as w:
        w.write([{"id": "a"}, {"id": "b"}])
    with open(path, "ab") as fh:
        fh.write(b'{"id": "c", "te')  # a process killed mid-write
    assert [r["id"] for r in read_complete_lines(path)] == ["a", "b"]
    with ShardWriter(path) as w:
        w.write([{"id": "c"}])
    lines = path.read_text().splitlines()
    assert [json.loads(x)["id"] for x in lines] == ["a", "b", "c"]
