"""Reading back what was published to SNS: a queue subscribed to the topic, on moto's server."""

from __future__ import annotations

import json
from typing import Any

import boto3

REGION = "us-east-1"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


class SnsQueue:
    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        sns = boto3.client("sns", region_name=REGION, endpoint_url=endpoint, **CREDENTIALS)
        self._sqs = boto3.client("sqs", region_name=REGION, endpoint_url=endpoint, **CREDENTIALS)
        self.topic_arn: str = sns.create_topic(Name="comms-gatekeeper-events")["TopicArn"]
        self._queue_url: str = self._sqs.create_queue(QueueName="events")["QueueUrl"]
        queue_arn = self._sqs.get_queue_attributes(
            QueueUrl=self._queue_url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=self.topic_arn, Protocol="sqs", Endpoint=queue_arn)

    def drain(self) -> list[dict[str, Any]]:
        """Every event published since the last drain: (body, attributes) as SNS delivered."""
        events: list[dict[str, Any]] = []
        while True:
            answer = self._sqs.receive_message(
                QueueUrl=self._queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
            )
            messages = answer.get("Messages", [])
            if not messages:
                return events
            for message in messages:
                envelope = json.loads(message["Body"])
                event = json.loads(envelope["Message"])
                event["_attributes"] = {
                    name: value["Value"]
                    for name, value in envelope.get("MessageAttributes", {}).items()
                }
                events.append(event)
                self._sqs.delete_message(
                    QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"]
                )
