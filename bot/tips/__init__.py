"""节日消费提示 services: who subscribed to what."""
