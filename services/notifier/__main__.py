from services.notifier.app import SPEC
from services.notifier.settings import NotifierSettings
from shared.runtime import serve

serve(SPEC, NotifierSettings())
