"""Data files shipped with Hookscope: the event catalogue's templates under events/."""
