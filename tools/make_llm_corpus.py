"""Write dlbook/llm/data/corpus.json, the frozen text corpus of chapter 10 (large language models).

Provenance and licence
----------------------
Every character comes from this repository (the dlbook course, MIT licence, see LICENSE) or is
written in this file; nothing is downloaded and nothing is copied from the seed notes:

- English (``language="en"``): the Markdown cells of the chapter notebooks, one document per
  notebook, read with ``git show`` from one fixed commit (``--commit``, default :data:`COMMIT`), so
  the corpus is a snapshot: editing a chapter later does not change the corpus or the outputs of
  the notebooks that train on it. It is English prose with LaTeX, MyST markup and the Chinese terms
  written beside the English ones.
- Chinese (``language="zh"``): the course glossary (``glossary.yml`` at the same commit) written as
  "中文术语（English term）" lines, one document per chapter section, plus a few paragraphs of
  Chinese written for this corpus (:data:`ZH_PROSE`, by the dlbook authors, MIT).

Run from the repository root: ``python tools/make_llm_corpus.py`` (deterministic: the same commit
gives the same bytes). ``dlbook.llm.load_corpus`` reads the result.
"""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path

COMMIT = "d810296"  # main on 2026-12-06, before chapter 10 existed
OUT = Path(__file__).resolve().parents[1] / "dlbook" / "llm" / "data" / "corpus.json"

# Written for this corpus by the dlbook authors (MIT): original Chinese prose about the course's topics.
ZH_PROSE = [
    "这门课程从一个神经元讲起。感知机把输入加权求和，再和阈值比较，输出零或一。"
    "单层感知机能学会与、或、非，却学不会异或；加上一个隐藏层以后，问题就解决了。",
    "反向传播用链式法则把损失对每个参数的梯度一层一层往回算。"
    "我们先用纸笔推导公式，再用 NumPy 实现，最后和自动微分的结果逐项比较，误差小于百万分之一。",
    "卷积网络用同一个小卷积核扫过整张图像，参数共享让模型小得多。"
    "池化降低分辨率，批归一化让训练更稳定，残差连接让很深的网络也能训练。",
    "循环神经网络一次读一个词，把记忆放在隐藏状态里。梯度在很长的序列上会消失或爆炸，"
    "长短期记忆网络和门控循环单元用门来控制信息的流动。",
    "注意力机制让每个位置直接看到所有其他位置。Transformer 只用注意力和前馈网络，"
    "没有循环，可以并行训练。GPT 是只有解码器的 Transformer，一次预测下一个词元。",
    "大语言模型先在大量文本上预训练，学会预测下一个词元；再用指令数据微调，学会回答问题。"
    "分词器决定了一段文字被切成多少个词元，也决定了模型看到的是字、词还是字节。",
    "字节对编码从单个字节开始，反复把最常见的相邻一对合并成新的词元，直到词表达到预定的大小。"
    "英文里常见的词往往是一个词元，汉字在 UTF-8 里占三个字节，词表里没有它时要用好几个词元表示。",
    "生成对抗网络里，生成器和判别器互相博弈；扩散模型则学习一步一步去掉噪声。"
    "知识蒸馏让小模型模仿大模型的输出分布，元学习让模型学会如何快速学习新任务。",
    "对抗样本说明，一个几乎看不出的扰动就能让分类器出错。对抗训练能提高鲁棒性，但要付出代价。"
    "分布式训练把数据或模型分到多台机器上，通信量和显存是要仔细计算的两件事。",
    "每一章都在普通的双核处理器上几分钟内跑完，不下载任何数据。"
    "每个结论都由代码算出来，并在单元格里用断言检查；种子笔记里有错的地方，会用“事实核查”框指出。",
]


def git(*args: str) -> str:
    return subprocess.run(["git", *args], check=True, capture_output=True, text=True, encoding="utf-8").stdout


def english_documents(commit: str) -> list[dict]:
    paths = [p for p in git("ls-tree", "-r", "--name-only", commit, "chapters").splitlines()
             if p.endswith(".ipynb")]
    docs = []
    for path in sorted(paths):
        nb = json.loads(git("show", f"{commit}:{path}"))
        cells = ["".join(c["source"]).strip() for c in nb["cells"] if c["cell_type"] == "markdown"]
        docs.append({"source": path, "language": "en", "text": "\n\n".join(c for c in cells if c)})
    return docs


def chinese_documents(commit: str) -> list[dict]:
    import yaml  # in the dev extra

    text = git("show", f"{commit}:glossary.yml")
    sections: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith("# --- "):
            sections.append((line.strip("# -"), []))
    # parse the entries once, then assign them to sections by their order in the file
    entries = yaml.safe_load(text)
    bounds = [i for i, line in enumerate(text.splitlines()) if line.startswith("# --- ")]
    term_lines = [i for i, line in enumerate(text.splitlines()) if line.startswith("- term:")]
    docs = []
    for s, (title, _) in enumerate(sections):
        lo, hi = bounds[s], bounds[s + 1] if s + 1 < len(bounds) else len(text.splitlines())
        chosen = [e for e, ln in zip(entries, term_lines) if lo < ln < hi]
        lines = [f"{e['zh']}（{e['term']}）" for e in chosen]
        docs.append({"source": f"glossary.yml: {title}", "language": "zh", "text": "\n".join(lines)})
    docs.extend({"source": f"tools/make_llm_corpus.py: ZH_PROSE[{i}]", "language": "zh", "text": p}
                for i, p in enumerate(ZH_PROSE))
    return docs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--commit", default=COMMIT)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    commit = git("rev-parse", args.commit).strip()
    corpus = {
        "description": "Frozen text corpus of the dlbook course, chapter 10 (made by tools/make_llm_corpus.py)",
        "licence": "MIT (the dlbook course's own text; see LICENSE)",
        "commit": commit,
        "documents": english_documents(commit) + chinese_documents(commit),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(corpus, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    n = {lang: sum(len(d["text"].encode()) for d in corpus["documents"] if d["language"] == lang) for lang in ("en", "zh")}
    print(f"wrote {args.out} from {commit[:10]}: {len(corpus['documents'])} documents, "
          f"{n['en']:,} bytes of English, {n['zh']:,} bytes of Chinese")


if __name__ == "__main__":
    main()
