"""Names vulture cannot see being used, each with who uses it (tests/test_quality.py runs it).

Code that nothing uses is removed, not listed here. Every name below is used by something
vulture does not read: a framework calling an override, a child process started from a
string, a test, or a reference held so that Qt does not delete an object.
"""

from typing import Any

_: Any = None

# -- called by the frameworks ------------------------------------------------------------------
# Qt calls these overrides of its models, delegates, highlighters and widgets.
_.canFetchMore
_.columnCount
_.closeEvent
_.fetchMore
_.hasChildren
_.headerData
_.highlightBlock
_.paint
_.paintEvent
_.mouseMoveEvent
_.multiData
_.contextMenuEvent
_.deselected  # QItemSelectionModel.selectionChanged's second argument
_.eventFilter  # the scale bench's paint watcher (ui/bench_scale_gui.py)
# asyncio calls its protocols' callbacks; aiohttp's BaseSite.stop() closes `_server`.
_.eof_received
_._server
# logging formats a record with its cached traceback text.
_.exc_text
# The `hookscope-gui` entry point in pyproject.toml.
_.gui_main

# -- references that keep a Qt object alive, and tests reach it through ------------------------
_.confirmation
_.copy_curl_action
_.copy_id_action
_.forward_editor
_.key_editor
_.remove_action
_.replay_dialog
_.rule_editor
_.scheme_editor
_.secret_editor
_.send_again_action
_.toggle_action
_.tray
_._menu
_._show_list
# The detail pane's tab indices, named together (tests select tabs by them).
_.BODY
_.HEADERS
_.OVERVIEW
_.RESPONSE
_.VERIFICATION

# httptools' response parser calls its protocol's callbacks (load.paced's connections).
_.on_message_complete
# Qt's style reads a focus frame's background (rowstable.RowsTable draws the frame).
_.backgroundColor

# -- used only by the tests: oracles for what the product builds, and counters they read -------
_.discord_problems  # checks every Discord message against the platform's limits
_.slack_problems  # the same for Slack
_.read_ndjson_line  # the inverse of the NDJSON export: proves it is lossless
_.placeholders_in  # proves templates make fresh ids on every fire
_.header_values  # Capture.header()'s companion for repeated headers
_.spooled  # SpooledBody: whether the body went to disk
_.last_result  # BulkReplayDialog: the run a click on Start made, shown in the dialog
_.painted  # RowsView: the rows the last paint laid out (bounded, whatever the body)
_.wraps  # RowsView: whether a text's rows are cut at the view's width
_.evicted  # ConnectionGuard: connections closed to make room
_.attempts_of  # storage.deliveries: attempts by id (the window no longer calls it)
_.set_provider  # ComposerPanel: test setup
_.set_event  # ComposerPanel: test setup
_.forget_last_url  # ui.replay: test isolation
_.prune_all  # storage.retention: the writer's pruning in one call, timed by the bench's --scale
_.sign_headers  # providers: how every scheme signs a request; the sending code's next step
_.nth_id  # storage.captures: the capture n places down a list, for a list that jumps (tested)

# -- names only the type checker reads -----------------------------------------------------------
_.DataclassInstance  # ui.widgets.paging: the bound of its query type variable
