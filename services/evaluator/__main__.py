from shared.runtime import serve

from .app import SPEC
from .settings import EvaluatorSettings

if __name__ == "__main__":
    serve(SPEC, EvaluatorSettings())
