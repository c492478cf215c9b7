# The service image (../Dockerfile: code, pinned dependencies, the reference pack) plus Ray, for
# docker-compose.yml: the same image runs the API replicas, the Ray head and the Ray workers, so
# every process reads the same code and the same pack. Build the base first:
#   docker build -t talent-hubs .
ARG BASE=talent-hubs:latest
FROM ${BASE}

USER root
COPY requirements-scale.txt ./
RUN /opt/venv/bin/pip install --no-cache-dir -r requirements-scale.txt \
 && mkdir -p /data/indices && chown nobody /data/indices
# Ray workers import models/ and training/ whatever directory they start in
ENV PYTHONPATH=/app \
    PATH=/opt/venv/bin:$PATH
USER nobody
