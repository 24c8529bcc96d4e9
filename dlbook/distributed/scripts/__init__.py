"""Worker scripts that `dlbook.distributed.launch` starts with torchrun (one process per rank).

Each file runs as a script (``torchrun --standalone --nproc_per_node=2 ddp.py``), imports only
torch and its sibling ``dlbook_worker.py`` (so a rank does not pay for importing all of dlbook),
and writes its results as JSON through ``dlbook_worker.run``.
"""
