# The action server for docker-compose.yml: rasa-sdk 3.6.2 as requirements.txt pins it, with the
# project's actions and the knowledge base they answer from (actions/knowledge/loader.py reads
# data/knowledge/ next to the package). Build context: the repository root.
FROM rasa/rasa-sdk:3.6.2

WORKDIR /app
USER root
# What actions/ imports that the base image lacks, at the version the tests run with
# (tests/deploy/test_docker_compose.py checks both).
RUN pip install --no-cache-dir PyYAML==6.0.4
USER 1001

COPY actions/ actions/
COPY data/knowledge/ data/knowledge/

# As the Makefile and the tests start it; SANIC_HOST comes from docker-compose.yml.
EXPOSE 5055
ENTRYPOINT ["python", "-m", "rasa_sdk"]
CMD ["--actions", "actions", "--port", "5055"]
