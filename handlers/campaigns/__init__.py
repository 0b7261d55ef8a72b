"""你点我检: citizens vote (vote.py); admins create (create.py) and run (admin.py) campaigns.

Opening and closing at the planned times is scheduler/campaigns.py.
"""

from __future__ import annotations

from bot.kit import Registration
from handlers.campaigns import admin, create, vote
from scheduler.campaigns import resume_campaigns

__all__ = ["REGISTRATION"]

REGISTRATION = Registration(
    name="campaigns",
    section="campaigns",
    # Staff after citizens: the /campaign_publish document caption (admin) is matched before
    # a campaign file upload (create).
    handlers=(*vote.HANDLERS, *admin.HANDLERS, *create.HANDLERS),
    deep_links={"vote": vote.open_link},
    menu_actions={"menu_vote": vote.list_open},
    startup=(resume_campaigns,),
)
