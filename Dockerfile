# The app with its shipped weights, for deployments with containers (Docker, Podman, Kubernetes):
#   docker build -t bnn-digits .
#   docker run --rm -p 8501:8501 bnn-digits          # then open http://localhost:8501
# One container runs one Streamlit process, which keeps about one core busy at most (README, "Serving many
# people"): to use more cores run several and put a proxy with sticky sessions in front (deploy/nginx.conf).
# The Test digits tab needs MNIST: add -v /path/to/mnist:/data/mnist:ro -e BNN_DATA_DIR=/data/mnist
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 app
WORKDIR /app

# The pinned requirements first, so that a code change does not reinstall TensorFlow.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY bnn/ bnn/
COPY assets/ assets/
COPY .streamlit/ .streamlit/
COPY app.py .

USER app
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s \
    CMD python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4)"
CMD ["streamlit", "run", "app.py", "--server.address", "0.0.0.0", "--server.port", "8501", \
     "--server.headless", "true", "--browser.gatherUsageStats", "false"]
