"""Load test for the iris SeldonDeployment of 02-first-deployment.

Requests go through the Emissary ingress, as a client outside the cluster would
send them, to /seldon/<namespace>/<deployment>/api/v1.0/predictions. The namespace
is the pod's own (injected by the Deployment), so one file serves every environment.
"""

import os

from locust import HttpUser, between, task

NAMESPACE = os.environ.get("SELDON_NAMESPACE", "seldon-dev")
DEPLOYMENT = os.environ.get("SELDON_DEPLOYMENT", "iris")
PREDICTIONS_PATH = f"/seldon/{NAMESPACE}/{DEPLOYMENT}/api/v1.0/predictions"

# One iris flower: sepal length, sepal width, petal length, petal width (cm).
PAYLOAD = {"data": {"ndarray": [[5.1, 3.5, 1.4, 0.2]]}}


class IrisClient(HttpUser):
    """A client that asks for one prediction every 0.5 to 1.5 seconds."""

    wait_time = between(0.5, 1.5)

    @task
    def predict(self) -> None:
        with self.client.post(
            PREDICTIONS_PATH, json=PAYLOAD, name="predictions", catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
                return
            try:
                body = response.json()
            except ValueError:
                response.failure("the response is not JSON")
                return
            if "data" not in body:
                response.failure("no data in the response")
