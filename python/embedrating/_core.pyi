"""
embedrating._core: the compiled part of the embedrating package (pybind11 bindings of the C++ library).
"""
from __future__ import annotations
import collections.abc
from embedrating import ArchiveError
from embedrating import DataError
from embedrating import Error
from embedrating import ModelError
import numpy
import numpy.typing
import typing
__all__: list[str] = ['ArchiveError', 'BetaPriorFit', 'DataError', 'Dataset', 'Error', 'HolidayCalendar', 'MISSING_DATE', 'Model', 'ModelError', 'NO_TIME', 'Ratings', 'ReviewAggregator', 'Scored', 'add_months', 'agreement', 'ahp', 'apply_weights', 'assign_folds', 'bayesian_average', 'catalogue', 'cite_articles_zh', 'codes_of', 'cohen_kappa', 'combine_weights', 'compare', 'compare_benchmark', 'critic_weights', 'cross_validate', 'cv_weights', 'data_directory', 'deciding_gates', 'directory_page_html', 'directory_valid_to', 'draw_weights', 'entropy_weights', 'fit', 'fit_beta_prior', 'group_ahp', 'hierarchical_ahp', 'jeffreys_interval', 'kish_effective_n', 'largest_remainder', 'model_diff', 'model_info', 'model_with_info', 'model_with_leaf_weights', 'monte_carlo', 'monte_carlo_combine', 'near_the_line', 'normalize_matrix', 'one_at_a_time', 'parse_date', 'parse_dates', 'parse_time', 'parse_times', 'random_index_tables', 'rank_scores', 'rate', 'rate_one', 'rate_rows', 'read_benchmark', 'read_facilities', 'read_facilities_csv_into', 'read_operators', 'read_operators_csv', 'review_key', 'review_keys', 'review_setting_fields', 'roll_forward', 'rule_actions', 'score', 'std_weights', 'topsis', 'translate_error', 'version', 'weighted_product', 'weighted_sum', 'wilson_interval', 'wilson_lower_bound']
class Model:
    """
    A validated, immutable rating model (C++ embedrating::model).
    """
    @staticmethod
    def default_model() -> Model:
        """
        The shipped model wuhan-2024.
        """
    @staticmethod
    def from_bytes(data: bytes, source_name: str = '<bytes>') -> Model:
        """
        Reads a model archive; ArchiveError naming source_name for anything wrong.
        """
    @staticmethod
    def from_toml(text: str, source_name: str = '<string>') -> Model:
        """
        Parses TOML text; source_name names it in error messages.
        """
    @staticmethod
    def load(path: str) -> Model:
        """
        Reads a TOML model file.
        """
    def canonical_encoding(self) -> bytes:
        ...
    def grades(self) -> list:
        """
        The grade table, best grade first.
        """
    def input_columns(self) -> dict:
        """
        Column roles of an operator table for this model (as the CSV reader classifies headers).
        """
    def nodes(self) -> dict:
        """
        The indicator tree as a dict of columns.
        """
    def review_settings(self) -> dict:
        ...
    def rules(self) -> dict:
        """
        The rules as a dict of columns.
        """
    def save(self, path: str) -> None:
        """
        Writes to_toml() to a file atomically.
        """
    def structure_difference(self, other: Model) -> str:
        """
        The first structural difference from another model ("" if none).
        """
    def to_bytes(self) -> bytes:
        """
        The model archive (docs/archives.md): header, checksum, canonical TOML and fingerprints.
        """
    def to_toml(self) -> str:
        """
        Canonical TOML (loading it gives the same fingerprint).
        """
    def weights(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        Global weights of the leaves (points / total), in leaf_ids order.
        """
    def with_cutoffs(self, cutoffs: collections.abc.Sequence[tuple[typing.SupportsInt | typing.SupportsIndex, typing.SupportsFloat | typing.SupportsIndex]]) -> Model:
        """
        A copy with new minimum totals [(grade level 1..5, min total)].
        """
    def with_params(self, params: collections.abc.Sequence[tuple[str, typing.SupportsFloat | typing.SupportsIndex]]) -> Model:
        """
        A copy with grade-table numbers changed by name [("grades.5A.min_total", 880.0), …].
        """
    def with_weights(self, weights: collections.abc.Sequence[tuple[str, typing.SupportsFloat | typing.SupportsIndex]]) -> Model:
        """
        A copy with new leaf weights [(leaf id, weight)]; leaves not named keep their points.
        """
    @property
    def dimension_ids(self) -> list[str]:
        ...
    @property
    def effective_from(self) -> typing.Any:
        ...
    @property
    def effective_to(self) -> typing.Any:
        ...
    @property
    def file(self) -> str:
        ...
    @property
    def fingerprint(self) -> str:
        """
        Hex SHA-256 of the model's meaning.
        """
    @property
    def id(self) -> str:
        ...
    @property
    def label(self) -> str:
        ...
    @property
    def label_zh(self) -> str:
        ...
    @property
    def leaf_ids(self) -> list[str]:
        ...
    @property
    def source(self) -> str:
        ...
    @property
    def structure_fingerprint(self) -> str:
        """
        Hex SHA-256 of the model's structure (everything but points and thresholds).
        """
    @property
    def total_points(self) -> float:
        ...
    @property
    def version(self) -> str:
        ...
class Dataset:
    """
    Validated, column-major inputs of one rating run (C++ embedrating::dataset). Setters copy each column once into the dataset; float64, uint8 and int32 C-contiguous arrays are read in place.
    """
    @staticmethod
    def from_bytes(data: bytes, source_name: str = '<bytes>') -> Dataset:
        """
        Reads a dataset archive; ArchiveError naming source_name for anything wrong.
        """
    @staticmethod
    def from_ids(operator_ids: typing.Any, source_name: str = '') -> Dataset:
        """
        A dataset of these operators (a numpy object array, read in place, or a sequence; texts are trimmed of spaces and tabs, None/NaN are empty). Ids must be non-empty and unique.
        """
    def __init__(self, operator_ids: collections.abc.Sequence[str], source_name: str = '') -> None:
        ...
    def __len__(self) -> int:
        ...
    def attribute(self, arg0: str) -> typing.Any:
        ...
    def columns(self) -> dict:
        """
        Every column, as copies (dict of kinds).
        """
    def copy(self) -> Dataset:
        ...
    def has_facilities(self) -> bool:
        ...
    def input_hash(self) -> str:
        """
        Hex SHA-256 over every column.
        """
    def set_attribute(self, name: str, values: collections.abc.Sequence[str]) -> None:
        ...
    def set_attribute_texts(self, name: str, values: typing.Any) -> None:
        """
        An attribute from a numpy object array or a sequence (trimmed; missing → "").
        """
    def set_category(self, name: str, values: collections.abc.Sequence[str]) -> None:
        """
        Strings; "" is missing.
        """
    def set_category_codes(self, name: str, codes: numpy.typing.NDArray[numpy.int64], texts: collections.abc.Sequence[str]) -> None:
        """
        A category column from factorised codes (int64, -1 missing) into texts ("" missing).
        """
    def set_date(self, name: str, days: numpy.typing.NDArray[numpy.int32]) -> None:
        """
        Days since 1970-01-01; -2147483648 is missing.
        """
    def set_facilities(self, facility_ids: collections.abc.Sequence[str], operator_ids: collections.abc.Sequence[str], volume: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None, numbers: collections.abc.Mapping[str, typing.Annotated[numpy.typing.ArrayLike, numpy.float64]], categories: collections.abc.Mapping[str, collections.abc.Sequence[str]]) -> None:
        ...
    def set_flag(self, name: str, values: numpy.typing.NDArray[numpy.uint8]) -> None:
        ...
    def set_history(self, previous_grade: numpy.typing.NDArray[numpy.int8], previous_rated_on: numpy.typing.NDArray[numpy.int32], last_downgrade_on: numpy.typing.NDArray[numpy.int32]) -> None:
        """
        Previous grade levels (-1: never rated) and the two history dates.
        """
    def set_number(self, name: str, values: numpy.typing.NDArray[numpy.float64], nan_is_missing: bool = True) -> None:
        ...
    def set_review_column(self, name: str, values: numpy.typing.NDArray[numpy.float64]) -> None:
        ...
    def set_scenarios(self, scenarios: collections.abc.Sequence[collections.abc.Sequence[str]]) -> None:
        ...
    def set_scenarios_codes(self, codes: numpy.typing.NDArray[numpy.int64], sets: collections.abc.Sequence[collections.abc.Sequence[str]]) -> None:
        """
        Scenario sets from factorised codes (int64, -1: none) into distinct sets of scenario codes.
        """
    def set_status(self, codes: numpy.typing.NDArray[numpy.uint8]) -> None:
        """
        Status codes: 0 active, 1 suspending, 2 suspended, 3 terminated.
        """
    def to_bytes(self) -> bytes:
        """
        The dataset archive (docs/archives.md): header, checksum and every column, portable byte order.
        """
    @property
    def operator_ids(self) -> list[str]:
        ...
    @property
    def source_name(self) -> str:
        ...
class HolidayCalendar:
    """
    A working-day calendar for bad-review deadlines (include/embedrating/calendar.hpp).
    """
    @staticmethod
    def china() -> HolidayCalendar:
        """
        The shipped official calendar of mainland China (2024–2026).
        """
    @staticmethod
    def load(path: str, encoding: str = 'auto') -> HolidayCalendar:
        """
        A calendar CSV (date, kind = off | workday; docs/calendar-format.md).
        """
    @staticmethod
    def weekdays_only() -> HolidayCalendar:
        """
        Monday to Friday, no public holidays or make-up workdays, every date covered (a fallback).
        """
    def add_working_days(self, day: typing.SupportsInt | typing.SupportsIndex, n: typing.SupportsInt | typing.SupportsIndex) -> int:
        ...
    def is_working_day(self, day: typing.SupportsInt | typing.SupportsIndex) -> bool:
        ...
    @property
    def bounded(self) -> bool:
        ...
    @property
    def covered_from(self) -> int | None:
        ...
    @property
    def covered_to(self) -> int | None:
        ...
    @property
    def fingerprint(self) -> str:
        ...
class ReviewAggregator:
    """
    The event-level review aggregation state (C++ embedrating::review_aggregator). Long calls run without the GIL; a mutex serialises calls on one object.
    """
    __hash__: typing.ClassVar[None] = None
    @staticmethod
    def deserialize(data: bytes, source_name: str = '<bytes>') -> ReviewAggregator:
        ...
    @staticmethod
    def load(path: str) -> ReviewAggregator:
        ...
    def __eq__(self, arg0: ReviewAggregator) -> bool:
        ...
    def __init__(self, operator_ids: collections.abc.Sequence[str], model: Model = None) -> None:
        """
        An empty state; the review settings of `model` (defaults if None).
        """
    def add_batch(self, review_key: numpy.typing.NDArray[numpy.uint64], operator_index: numpy.typing.NDArray[numpy.uint32], reviewer_key: numpy.typing.NDArray[numpy.uint64], time: numpy.typing.NDArray[numpy.int64], level: numpy.typing.NDArray[numpy.int8], revision: typing.Annotated[numpy.typing.ArrayLike, numpy.uint32] | None = None, status: typing.Annotated[numpy.typing.ArrayLike, numpy.uint8] | None = None, rectified_at: typing.Annotated[numpy.typing.ArrayLike, numpy.int64] | None = None, followed_up_at: typing.Annotated[numpy.typing.ArrayLike, numpy.int64] | None = None, has_service_record: typing.Annotated[numpy.typing.ArrayLike, numpy.uint8] | None = None) -> None:
        """
        Adds a batch of parallel arrays in place (exact dtypes, C-contiguous: no copy).
        """
    def add_csv(self, path: str, encoding: str = 'auto') -> None:
        """
        Adds every row of a review-event CSV (SPEC §5 columns).
        """
    def add_events(self, review_id: collections.abc.Sequence[str], revision: numpy.typing.NDArray[numpy.uint32], operator_id: collections.abc.Sequence[str], reviewer_id: collections.abc.Sequence[str], time: numpy.typing.NDArray[numpy.int64], level: numpy.typing.NDArray[numpy.int8], status: numpy.typing.NDArray[numpy.uint8], rectified_at: numpy.typing.NDArray[numpy.int64], followed_up_at: numpy.typing.NDArray[numpy.int64], service_record_id: collections.abc.Sequence[str], where: collections.abc.Sequence[str]) -> None:
        ...
    def add_frame(self, table: typing.Any, name: str = 'DataFrame') -> None:
        """
        Adds every row of an events DataFrame (or mapping of columns) by the core's ingestion path: the same checks and reject examples as add_csv, naming rows by their index label.
        """
    def copy(self) -> ReviewAggregator:
        ...
    def merge(self, other: ReviewAggregator) -> None:
        ...
    def same_settings(self, model: Model) -> bool:
        """
        True when this state's review settings are the model's.
        """
    def save(self, path: str) -> None:
        """
        Atomic save of the binary archive.
        """
    def serialize(self) -> bytes:
        ...
    def summary(self, as_of: typing.SupportsInt | typing.SupportsIndex, calendar: HolidayCalendar = None) -> dict:
        """
        Measures per operator at as_of (days since 1970-01-01); deadlines on `calendar` (default: China's official one).
        """
    @property
    def events_seen(self) -> int:
        ...
    @property
    def memory_bytes(self) -> int:
        ...
    @property
    def operator_ids(self) -> list[str]:
        ...
    @property
    def records_kept(self) -> int:
        ...
    @property
    def rejects(self) -> list:
        ...
class BetaPriorFit:
    """
    An empirical-Bayes Beta prior (or the statement that it is pooled).
    """
    def __repr__(self) -> str:
        ...
    @property
    def alpha(self) -> float:
        ...
    @property
    def beta(self) -> float:
        ...
    @property
    def iterations(self) -> int:
        ...
    @property
    def log_likelihood(self) -> float:
        ...
    @property
    def mean(self) -> float:
        ...
    @property
    def method(self) -> str:
        ...
    @property
    def note(self) -> str:
        ...
    @property
    def operators(self) -> int:
        ...
    @property
    def pooled(self) -> bool:
        ...
    @property
    def prior_strength(self) -> float:
        ...
class Ratings:
    """
    The result of a rating run (struct of arrays). Array properties are read-only numpy views that keep this object alive.
    """
    @staticmethod
    def from_bytes(data: bytes, source_name: str = '<bytes>') -> Ratings:
        """
        Reads a ratings archive (format 1 or 2; format 1 keeps no scores: explain() then raises); ArchiveError naming source_name for anything wrong.
        """
    def __len__(self) -> int:
        ...
    def dimension_available(self) -> numpy.typing.NDArray[numpy.int64]:
        """
        n × dimensions centi-points available after re-allocation.
        """
    def distribution(self) -> tuple[list[int], int]:
        """
        (operators by final grade level 0..5 (active only), operators not graded).
        """
    def explain(self, operator: typing.Any, lang: str = 'en') -> str:
        ...
    def find(self, operator_id: str) -> int:
        ...
    def fired(self) -> tuple[numpy.typing.NDArray[numpy.uint32], numpy.typing.NDArray[numpy.uint32], numpy.typing.NDArray[numpy.int32]]:
        """
        (offsets, rule index, lapse day) of every fired rule; CSR by operator.
        """
    def gates(self, operator: typing.Any, target: typing.SupportsInt | typing.SupportsIndex | None = None) -> list:
        """
        Gates between an operator (id or row) and the next (or target) grade.
        """
    def node_matrices(self) -> tuple[numpy.ndarray, numpy.ndarray]:
        """
        (earned, available): n × nodes centi-points, computed on request (model node order).
        """
    def node_points(self, row: typing.SupportsInt | typing.SupportsIndex) -> tuple[numpy.typing.NDArray[numpy.int64], numpy.typing.NDArray[numpy.int64]]:
        """
        (earned, available) centi-points of every node for one operator.
        """
    def to_bytes(self) -> bytes:
        """
        The ratings archive (docs/archives.md, format 2): grades, fired rules, warnings, history and the scored data they were graded from, so that the loaded ratings explains.
        """
    def warnings(self) -> list:
        """
        [(row, kind, indicator or rule id)] of every operator warning.
        """
    @property
    def as_of(self) -> int:
        ...
    @property
    def dimension_centi(self) -> numpy.ndarray:
        ...
    @property
    def final_grade(self) -> numpy.ndarray:
        ...
    @property
    def fired_offsets(self) -> numpy.ndarray:
        ...
    @property
    def grade_by_score(self) -> numpy.ndarray:
        ...
    @property
    def history_lapses_on(self) -> numpy.ndarray:
        ...
    @property
    def history_limit(self) -> numpy.ndarray:
        ...
    @property
    def indicator_score(self) -> numpy.ndarray:
        ...
    @property
    def input_hash(self) -> str:
        ...
    @property
    def library_version(self) -> str:
        ...
    @property
    def model(self) -> Model:
        ...
    @property
    def operator_ids(self) -> list[str]:
        ...
    @property
    def previous_grade(self) -> numpy.ndarray:
        ...
    @property
    def run_warnings(self) -> list:
        ...
    @property
    def status(self) -> numpy.ndarray:
        ...
    @property
    def terminate(self) -> numpy.ndarray:
        ...
    @property
    def total_centi(self) -> numpy.ndarray:
        ...
class Scored:
    """
    The weight-independent part of a rating (C++ embedrating::scored): leaf scores, not-applicable patterns, rule masks, history. Re-grade it under model variants that differ only in points and thresholds.
    """
    @staticmethod
    def from_bytes(data: bytes, source_name: str = '<bytes>') -> Scored:
        """
        Reads a scored archive; ArchiveError naming source_name for anything wrong.
        """
    def __len__(self) -> int:
        ...
    def graded(self) -> numpy.typing.NDArray[numpy.bool]:
        ...
    def leaf_available(self, model: Model) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]"]:
        """
        Centi-points each leaf can earn under a variant, per not-applicable pattern (patterns × leaves).
        """
    def regrade(self, model: Model) -> Ratings:
        """
        Ratings of a model variant (refused, naming the difference, if its structure differs).
        """
    def regrade_many(self, weights: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]", "flags.f_contiguous"], min_totals: typing.Annotated[numpy.typing.ArrayLike, numpy.float64, "[m, n]"] | None = None, totals: bool = False, threads: typing.SupportsInt | typing.SupportsIndex = 1) -> tuple[typing.Any, typing.Any]:
        """
        K × leaves global weights (and optional K × 5 cut-offs) → (K × n final grade levels int8, K × n totals in centi-points or None). Without the GIL.
        """
    def to_bytes(self) -> bytes:
        """
        The scored archive (docs/archives.md): the scoring model, as_of, input hash, leaf scores, not-applicable patterns, rule masks and history.
        """
    @property
    def as_of(self) -> int:
        ...
    @property
    def has_point_rules(self) -> bool:
        ...
    @property
    def input_hash(self) -> str:
        ...
    @property
    def leaf_scores(self) -> numpy.ndarray:
        """
        n × leaves scores (read-only view, NaN = not applicable).
        """
    @property
    def model(self) -> Model:
        ...
    @property
    def operator_ids(self) -> list[str]:
        ...
    @property
    def pattern_leaves(self) -> list[list[int]]:
        ...
    @property
    def patterns(self) -> numpy.ndarray:
        ...
    @property
    def run_warnings(self) -> list:
        ...
    @property
    def status(self) -> numpy.ndarray:
        """
        Status codes (uint8 view: 0 active, 1 suspending, 2 suspended, 3 terminated).
        """
    @property
    def structure_fingerprint(self) -> str:
        ...
def add_months(days: typing.SupportsInt | typing.SupportsIndex, months: typing.SupportsInt | typing.SupportsIndex) -> int:
    """
    Calendar-month arithmetic (day clamped to the month's end).
    """
def agreement(predicted: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], agreed: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex]) -> dict:
    """
    Agreement of two gradings (levels 0..5, -1 not graded) → dict.
    """
def ahp(matrix: typing.Annotated[numpy.typing.ArrayLike, numpy.float64, "[m, n]"], method: str = 'eigen', ri: typing.Any = 'saaty1980', tolerance: typing.SupportsFloat | typing.SupportsIndex = 0.01, threshold: typing.SupportsFloat | typing.SupportsIndex = 0.1, find_worst: bool = True, ids: collections.abc.Sequence[str] = []) -> dict:
    """
    AHP of a pairwise comparison matrix → dict (weights, lambda_max, ci, cr, ri, ri_table, method, consistent, worst).
    """
def apply_weights(model: Model, weights: collections.abc.Sequence[tuple[str, typing.SupportsFloat | typing.SupportsIndex]], keep_dimension_totals: bool = True) -> tuple[Model, dict]:
    """
    A model with points from weights by indicator or dimension → (Model, mapping columns).
    """
def assign_folds(levels: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], folds: typing.SupportsInt | typing.SupportsIndex, seed: typing.SupportsInt | typing.SupportsIndex) -> list[int]:
    """
    Fold of each case (stratified, seeded; 0 folds = LOO).
    """
def bayesian_average(good: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], n: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], prior_mean: typing.SupportsFloat | typing.SupportsIndex, prior_weight: typing.SupportsFloat | typing.SupportsIndex) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"]:
    ...
def catalogue() -> dict:
    """
    Codes of the shipped catalogue (scenarios, modes, statuses, veto flags).
    """
def cite_articles_zh(text: str) -> str:
    """
    "Art. 16(5)" → "第十六条第（五）项" in any text (the Chinese citation of the measures).
    """
def codes_of(values: typing.Any, levels: collections.abc.Sequence[str]) -> tuple:
    """
    Codes of trimmed texts among levels (-1: empty or missing) → (int64 codes, first row that is not a level, or -1).
    """
def cohen_kappa(table: collections.abc.Sequence[collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex]], weights: str = 'none') -> float:
    """
    Cohen's kappa of a square contingency table (weights none, linear, quadratic).
    """
def combine_weights(weights: collections.abc.Sequence[typing.Annotated[numpy.typing.ArrayLike, numpy.float64, "[m, 1]"]], method: str = 'linear', alphas: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex] = [0.5]) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"]:
    """
    Linear or multiplicative combination.
    """
def compare(ratings_a: Ratings, ratings_b: Ratings, max_reasons: typing.SupportsInt | typing.SupportsIndex = 0) -> dict:
    """
    Compares two ratings of the same operators → dict (transitions, moved rows, ranked reasons, summary).
    """
def compare_benchmark(ratings: Ratings, operator_ids: collections.abc.Sequence[str], levels: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], notes: collections.abc.Sequence[str], file: str = '', lines: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex] = []) -> dict:
    """
    Ratings against a benchmark → dict (stats, predicted, disagreements with gates, not_graded_ids).
    """
def critic_weights(x: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], types: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex] = [], row_labels: collections.abc.Sequence[str] = [], col_labels: collections.abc.Sequence[str] = []) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"]:
    """
    CRITIC weights of the columns (types: +1 benefit, -1 cost).
    """
def cross_validate(scored: Scored, operator_ids: collections.abc.Sequence[str], levels: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], notes: collections.abc.Sequence[str], method: str, folds: typing.SupportsInt | typing.SupportsIndex, seed: typing.SupportsInt | typing.SupportsIndex, divergence: typing.SupportsFloat | typing.SupportsIndex, options: dict, file: str = '', lines: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex] = []) -> dict:
    """
    Leave-one-out (folds 0) or stratified k-fold cross-validation → dict. Without the GIL.
    """
def cv_weights(x: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], row_labels: collections.abc.Sequence[str] = [], col_labels: collections.abc.Sequence[str] = []) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"]:
    """
    Coefficient-of-variation weights of the columns.
    """
def data_directory() -> str:
    """
    Where the shipped data is looked up ($EMBEDRATING_DATA_DIR first).
    """
def deciding_gates(ratings: Ratings, rows: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], directions: collections.abc.Sequence[str]) -> dict:
    """
    The gate deciding each (row, "up"|"down") move, where points can make it.
    """
def directory_page_html(operator_ids: collections.abc.Sequence[str], names: collections.abc.Sequence[str], districts: collections.abc.Sequence[str], modes: collections.abc.Sequence[str], grades: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], valid_to: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], meta: dict, lang: str) -> str:
    """
    The grade directory page (include/embedrating/directory.hpp; the CLI's rate --format html): columns of the graded operators (grade levels 1-5, valid_to as days since 1970-01-01, modes as display names) and meta with as_of and valid_to (days), model_id, model_version, model_label (in the page's language), model_fingerprint, input_hash, library_version.
    """
def directory_valid_to(model: Model, as_of: typing.SupportsInt | typing.SupportsIndex, valid_months: typing.SupportsInt | typing.SupportsIndex) -> int:
    """
    The last day (days since 1970-01-01) a grade published at as_of is valid: as_of + valid_months months - 1 day, never past the model's effective_to (include/embedrating/directory.hpp). ValueError when valid_months < 1.
    """
def draw_weights(base: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex], k0: typing.SupportsInt | typing.SupportsIndex, k1: typing.SupportsInt | typing.SupportsIndex, seed: typing.SupportsInt | typing.SupportsIndex = 0, method: str = 'dirichlet', concentration: typing.SupportsFloat | typing.SupportsIndex = 200.0, spread: typing.SupportsFloat | typing.SupportsIndex = 0.1) -> numpy.ndarray:
    """
    The weights of draws [k0, k1) (each depends only on the seed and its index).
    """
def entropy_weights(x: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], row_labels: collections.abc.Sequence[str] = [], col_labels: collections.abc.Sequence[str] = []) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"]:
    """
    Entropy weights of the columns (float64 array read in place).
    """
def fit(scored: Scored, operator_ids: collections.abc.Sequence[str], levels: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], notes: collections.abc.Sequence[str], method: str, options: dict, file: str = '', lines: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex] = []) -> tuple[Model, dict]:
    """
    Fits weights, cutoffs, floors or joint → (Model, report dict). Without the GIL.
    """
def fit_beta_prior(good: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], n: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], method: str = 'maximum_likelihood', min_strength: typing.SupportsFloat | typing.SupportsIndex = 0.001, max_strength: typing.SupportsFloat | typing.SupportsIndex = 1000000.0) -> BetaPriorFit:
    ...
def group_ahp(matrices: collections.abc.Sequence[typing.Annotated[numpy.typing.ArrayLike, numpy.float64, "[m, n]"]], aggregation: str = 'aij', expert_weights: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex] = [], aip_geometric: bool = True, method: str = 'eigen', ri: typing.Any = 'saaty1980', tolerance: typing.SupportsFloat | typing.SupportsIndex = 0.01, threshold: typing.SupportsFloat | typing.SupportsIndex = 0.1, find_worst: bool = True, ids: collections.abc.Sequence[str] = []) -> dict:
    """
    Group AHP (AIJ or AIP) → dict.
    """
def hierarchical_ahp(model: Model, judgements: list, keep_missing: bool = False, method: str = 'eigen', ri: typing.Any = 'saaty1980', tolerance: typing.SupportsFloat | typing.SupportsIndex = 0.01, threshold: typing.SupportsFloat | typing.SupportsIndex = 0.1) -> dict:
    """
    Hierarchical AHP over the model's tree; judgements: list of (node, ids, matrix or None, local or None).
    """
def jeffreys_interval(good: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], n: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], confidence: typing.SupportsFloat | typing.SupportsIndex = 0.95) -> tuple[typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"]]:
    ...
def kish_effective_n(sum_w: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], sum_w2: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"]) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"]:
    ...
def largest_remainder(total: typing.SupportsInt | typing.SupportsIndex, shares: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex]) -> list[int]:
    """
    Hamilton apportionment of integer units in proportion to shares.
    """
def model_diff(a: Model, b: Model) -> dict:
    """
    Every difference from model a to model b → dict of columns (section, item, field, before, after).
    """
def model_info(model: Model) -> dict:
    """
    id, version, labels, source, rationale and provenance of a model.
    """
def model_with_info(model: Model, fields: dict) -> Model:
    """
    A copy with new id, version, labels, source or rationale (the fingerprint is unchanged).
    """
def model_with_leaf_weights(model: Model, weights: collections.abc.Sequence[tuple[str, typing.SupportsFloat | typing.SupportsIndex]], total: str) -> Model:
    """
    with_weights with total = keep (refuse unless the weights sum to 1), normalize or rescale.
    """
def monte_carlo(scored: Scored, draws: typing.SupportsInt | typing.SupportsIndex = 1000, seed: typing.SupportsInt | typing.SupportsIndex = 0, method: str = 'dirichlet', concentration: typing.SupportsFloat | typing.SupportsIndex = 200.0, spread: typing.SupportsFloat | typing.SupportsIndex = 0.1, cutoff_jitter: typing.SupportsFloat | typing.SupportsIndex = 0.0, quantiles: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex] = [0.05, 0.25, 0.5, 0.75, 0.95], resolution: typing.SupportsFloat | typing.SupportsIndex = 0.5, bins: typing.SupportsInt | typing.SupportsIndex = 128, window_sd: typing.SupportsFloat | typing.SupportsIndex = 6.0, interval: typing.SupportsFloat | typing.SupportsIndex = 0.95, threads: typing.SupportsInt | typing.SupportsIndex = 1, tile_rows: typing.SupportsInt | typing.SupportsIndex = 0, chunk: typing.SupportsInt | typing.SupportsIndex = 256, progress: typing.Any = None, first_draw: typing.SupportsInt | typing.SupportsIndex = 0) -> dict:
    """
    Monte Carlo over the weights of a Scored's model → dict of numpy arrays (without the GIL; progress(done, total) is called between chunks of draws). first_draw: the index of the run's first draw (draws first_draw … first_draw + draws - 1; embedrating.dask splits a run this way).
    """
def monte_carlo_combine(parts: list, seed: typing.SupportsInt | typing.SupportsIndex, method: str, concentration: typing.SupportsFloat | typing.SupportsIndex, spread: typing.SupportsFloat | typing.SupportsIndex, cutoff_jitter: typing.SupportsFloat | typing.SupportsIndex, interval: typing.SupportsFloat | typing.SupportsIndex) -> dict:
    """
    The dicts of monte_carlo runs over consecutive draw ranges (quantiles=[], each with its "first_draw") → the dict of the run over the whole range, bit for bit (combine_draw_ranges in the C++ core). ValueError names the part that does not fit.
    """
def near_the_line(ratings: Ratings, points: typing.SupportsFloat | typing.SupportsIndex) -> dict:
    """
    Operators within `points` of the gate that decides their grade (dict of columns).
    """
def normalize_matrix(x: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], how: str = 'minmax', types: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex] = [], col_labels: collections.abc.Sequence[str] = []) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]"]:
    """
    Cost-aware column normalisation (minmax, vector, max, sum).
    """
def one_at_a_time(scored: Scored, delta: typing.SupportsFloat | typing.SupportsIndex = 0.1, cutoff_delta: typing.SupportsFloat | typing.SupportsIndex = 10.0, weights: bool = True, dimensions: bool = True, cutoffs: bool = True, per_operator: bool = True, threads: typing.SupportsInt | typing.SupportsIndex = 1) -> dict:
    """
    One-at-a-time swings → dict (variants, and variants × n changes in centi-points and levels).
    """
def parse_date(text: str) -> int | None:
    """
    Strict YYYY-MM-DD (or YYYY/MM/DD) → days since 1970-01-01, None if malformed.
    """
def parse_dates(items: collections.abc.Sequence) -> tuple:
    """
    Vectorised parse_date over a sequence (None/NaN/"" missing) → (days, bad positions).
    """
def parse_time(text: str) -> int | None:
    """
    ISO 8601 instant → Unix seconds (no offset: China Standard Time), None if malformed.
    """
def parse_times(items: collections.abc.Sequence) -> tuple:
    """
    Vectorised parse_time (None/NaN/"" missing → NO_TIME) → (seconds, bad positions).
    """
def random_index_tables() -> dict:
    """
    Known RI tables: name → (values indexed by n - 1, source).
    """
def rank_scores(scores: typing.Annotated[numpy.typing.ArrayLike, numpy.float64, "[m, 1]"]) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"]:
    """
    Ranks, 1 = highest, ties averaged.
    """
def rate(model: Model, dataset: Dataset, as_of: typing.SupportsInt | typing.SupportsIndex, reviews: ReviewAggregator = None, input_hash: bool = True, calendar: HolidayCalendar = None) -> Ratings:
    """
    Rates every operator at as_of (days since 1970-01-01), without the GIL. With reviews, the aggregator's summary at as_of (deadlines on `calendar`, default China's official one) replaces the dataset's review columns (on a copy).
    """
def rate_one(model: Model, dataset: Dataset, row: typing.SupportsInt | typing.SupportsIndex, as_of: typing.SupportsInt | typing.SupportsIndex, reviews: ReviewAggregator = None, calendar: HolidayCalendar = None) -> tuple[str, int, int, int, int, bool, tuple, tuple]:
    """
    Rates one row of a dataset alone (C++ rate_one, no input hash, without the GIL) → (operator_id, status code, grade-by-score level, final grade level, total centi-points, terminate, dimension centi-points, fired rule ids). With reviews, their summary at as_of (over every operator) replaces the review columns first.
    """
def rate_rows(model: Model, dataset: Dataset, begin: typing.SupportsInt | typing.SupportsIndex, count: typing.SupportsInt | typing.SupportsIndex, as_of: typing.SupportsInt | typing.SupportsIndex, reviews: ReviewAggregator = None, input_hash: bool = True, calendar: HolidayCalendar = None) -> Ratings:
    """
    Rates rows [begin, begin + count) alone (C++ rate_rows, without the GIL): the same as those rows of rate() in every field, with the whole dataset's input hash (computed once, cached). A range outside the dataset or empty raises DataError naming it. With reviews, each call applies their summary to a copy.
    """
def read_benchmark(path: str) -> dict:
    """
    A benchmark CSV → dict of columns (operator_id, level, note, line).
    """
def read_facilities(dataset: Dataset, table: typing.Any, name: str, model: Model, collect: bool = False) -> list:
    """
    Reads a facility table (DataFrame or mapping) by the core's ingestion path and sets it as the dataset's facilities. Returns the problems (with collect; without, the first raises).
    """
def read_facilities_csv_into(dataset: Dataset, path: str, model: Model, encoding: str = 'auto') -> None:
    """
    Reads a facility CSV and sets it as the dataset's facilities.
    """
def read_operators(tables: list, model: Model, collect: bool = False) -> tuple[typing.Any, list]:
    """
    The C++ dataset of operator tables for a model, by the core's one ingestion path: tables is a list of (DataFrame or mapping of columns, name) pairs, the first holding the operators' rows, the others aligned to it by operator_id. Returns (dataset, problems): with collect, every problem is returned as a DataError (dataset None when reading could not finish); without, the first raises.
    """
def read_operators_csv(path: str, model: Model, encoding: str = 'auto') -> Dataset:
    ...
def review_key(id: str) -> int:
    """
    The 64-bit key of a text id (a decimal number below 2^63 is its own value).
    """
def review_keys(ids: collections.abc.Sequence) -> numpy.typing.NDArray[numpy.uint64]:
    """
    Vectorised review_key over a sequence of str (trimmed).
    """
def review_setting_fields() -> list:
    """
    The review settings, one dict each (name, kind: numbers|number|integer|flag|choice, min, max, min_open, rule, choices, doc), in the order of the table in embedrating/review_fields.hpp that drives the TOML reader and writer, validation, the fingerprint, the archive and Model.review_settings.
    """
def roll_forward(previous_ids: collections.abc.Sequence[str], previous_grade: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex | None], previous_rated_on: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex | None], last_downgrade_on: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex | None], operator_ids: collections.abc.Sequence[str], status: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], final_grade: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], as_of: typing.SupportsInt | typing.SupportsIndex) -> tuple[list[str], list, list, list]:
    """
    History for the next cycle (include/embedrating/history.hpp roll_forward): grade levels 0-5 or None, dates as days since 1970-01-01 or None, status codes 0-3 → (operator_ids, previous_grade, previous_rated_on, last_downgrade_on).
    """
def rule_actions() -> list:
    """
    The rule actions (name, phase, parameters, gate, effect text).
    """
def score(model: Model, dataset: Dataset, as_of: typing.SupportsInt | typing.SupportsIndex, reviews: ReviewAggregator = None, input_hash: bool = True, calendar: HolidayCalendar = None) -> Scored:
    """
    Scores every operator at as_of (the weight-independent stages of rate), without the GIL.
    """
def std_weights(x: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], row_labels: collections.abc.Sequence[str] = [], col_labels: collections.abc.Sequence[str] = []) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"]:
    """
    Standard-deviation weights of the columns.
    """
def topsis(x: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], weights: typing.Annotated[numpy.typing.ArrayLike, numpy.float64, "[m, 1]"], types: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex] = [], how: str = 'vector', col_labels: collections.abc.Sequence[str] = []) -> dict:
    ...
def translate_error(error: typing.Any, lang: str) -> typing.Any:
    """
    The error (an embedrating.Error) with its location and message in `lang` ("en": the error itself; "zh": the Chinese text of `embedrating validate --lang zh`, attributes kept, message translated). ValueError for another lang.
    """
def weighted_product(x: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], weights: typing.Annotated[numpy.typing.ArrayLike, numpy.float64, "[m, 1]"], types: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex] = [], col_labels: collections.abc.Sequence[str] = []) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"]:
    ...
def weighted_sum(x: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], weights: typing.Annotated[numpy.typing.ArrayLike, numpy.float64, "[m, 1]"], types: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex] = [], how: str = 'minmax', col_labels: collections.abc.Sequence[str] = []) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"]:
    ...
def wilson_interval(good: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], n: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], z: typing.SupportsFloat | typing.SupportsIndex = 1.959963984540054) -> tuple[typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"]]:
    ...
def wilson_lower_bound(good: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], n: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], z: typing.SupportsFloat | typing.SupportsIndex = 1.959963984540054) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"]:
    ...
MISSING_DATE: int = -2147483648
NO_TIME: int = -9223372036854775808
version: str = '0.1.0'
