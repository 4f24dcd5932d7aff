"""NHS numbers for synthetic people: the 999 test range first, then 998, 997...

The 999 range (999 000 000x-999 999 999x) holds about 909,000 valid numbers,
fewer than a 1,000,000-person population with its merged and adopted records
needs, so allocation continues into the next 9-prefixed blocks down. Each chunk
of the generator owns a fixed slice of a scrambled sequence, so chunks never
collide and can be generated independently; the sandbox numbers are skipped.
"""

from cci_common.identifiers.nhs_number import check_digit
from mock_spine.generator.sandbox import SANDBOX_NUMBERS

BLOCK = 1_000_000
STRIDE = 7919  # coprime with 10**6: j -> j*STRIDE mod 10**6 visits every prefix once
NUMBERS_PER_CHUNK = 25_000


def prefix_for(index: int) -> int:
    block, offset = divmod(index, BLOCK)
    return (999 - block) * BLOCK + (offset * STRIDE) % BLOCK


class NumberAllocator:
    def __init__(self, chunk: int) -> None:
        self.index = chunk * NUMBERS_PER_CHUNK
        self.end = self.index + NUMBERS_PER_CHUNK

    def next(self) -> str:
        while self.index < self.end:
            first_nine = f"{prefix_for(self.index):09d}"
            self.index += 1
            digit = check_digit(first_nine)
            number = f"{first_nine}{digit}"
            if digit is not None and number not in SANDBOX_NUMBERS:
                return number
        raise RuntimeError("chunk ran out of NHS numbers; lower the chunk size")
