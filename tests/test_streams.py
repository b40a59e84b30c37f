"""peru.streams.read_ahead: the producer runs in its own thread, ahead of the consumer by at
most ``depth`` items; its errors reach the consumer; a consumer that stops early stops it.
(Used by the customers' bulk insert and the padrón's load.) No database needed."""

import threading

import pytest

from peru.streams import read_ahead


def test_yields_every_item_in_order_produced_in_another_thread():
    threads = []

    def items():
        for n in range(50):
            threads.append(threading.current_thread())
            yield n

    assert list(read_ahead(items(), name="prueba")) == list(range(50))
    assert {t.name for t in threads} == {"prueba"}
    assert threading.current_thread() not in threads


def test_producer_error_is_raised_in_the_consumer_after_the_items_before_it():
    def items():
        yield 1
        yield 2
        raise ValueError("línea 3 dañada")

    got = []
    with pytest.raises(ValueError, match="línea 3 dañada"):
        for item in read_ahead(items()):
            got.append(item)
    assert got == [1, 2]


def test_consumer_stopping_early_stops_and_closes_the_producer():
    produced = []
    closed = threading.Event()

    def items():
        try:
            for n in range(1000):
                produced.append(n)
                yield n
        finally:
            closed.set()

    stream = read_ahead(items(), depth=2)
    assert next(stream) == 0
    stream.close()  # the consumer gives up (a COPY failed)
    assert closed.is_set()
    assert len(produced) < 10  # not the whole input: at most depth items ahead, and the one in hand
