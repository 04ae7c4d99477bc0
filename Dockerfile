FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY actors actors
COPY api api
COPY config config
COPY integrations integrations
COPY storage storage
RUN pip install --no-cache-dir .
EXPOSE 3000
CMD ["comms-gatekeeper", "serve"]
