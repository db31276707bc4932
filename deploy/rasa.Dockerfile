# Rasa for docker-compose.yml: rasa 3.6.21 as requirements.txt pins it ("full": it has spaCy,
# which the project's NLU components use), with this project's model, configuration, channels
# and stores. Build context: the repository root (deploy/rasa.Dockerfile.dockerignore).
#
# The model is not trained here: it is the one `make train` built and `make test` tested
# (models/metastasis-<hash of data, config, domain, components>.tar.gz; `make train` keeps only
# the current one). Training in the build would ship a model no test has seen, and take minutes.
FROM rasa/rasa:3.6.21-full

WORKDIR /app
COPY config.yml domain.yml endpoints.yml credentials.yml ./
COPY addons/ addons/
# The custom NLU components read the knowledge base at run time, through actions.knowledge,
# and the safety intents' names from actions/names.py.
COPY components/ components/
COPY actions/__init__.py actions/names.py actions/
COPY actions/knowledge/ actions/knowledge/
COPY data/knowledge/ data/knowledge/
COPY models/ models/
RUN test "$(ls models | wc -l)" -eq 1 \
    || { echo "models/ must hold exactly one model: run 'make train' first" >&2; exit 1; }

# PYTHONPATH: addons/logging.yml's filter is imported before Rasa puts /app on sys.path.
ENV PYTHONPATH=/app \
    RASA_TELEMETRY_ENABLED=false
EXPOSE 5005
# ENTRYPOINT ["rasa"] comes from the base image; docker-compose.yml gives the `run` command.
