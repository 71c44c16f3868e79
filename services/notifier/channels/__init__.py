"""The ways a message reaches a unit: e-mail, SMS (Aliyun, Tencent Cloud, a generic gateway), DingTalk and WeCom
robots. Every sender takes an ``Outbound`` and either returns a ``Sent`` or raises one of the three outcomes of
``base``; the dispatcher records the intent before it calls a sender and the outcome after (see base.py)."""
