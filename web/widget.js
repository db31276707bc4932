/*
 * Chat widget for the metastatic-cancer assistant (Rasa socketio channel).
 *
 * Needs, loaded before it (served locally, never from a CDN):
 *   vendor/socket.io.min.js (socket.io-client 4), vendor/marked.umd.js, vendor/purify.min.js,
 *   and optionally config.js, which sets window.METASTASIS_CHAT_CONFIG = {server: "..."}.
 *
 * Mount: <script src="widget.js" data-mode="launcher|embed" [data-server="https://bot.example"]
 *                 [data-storage="session|local"] [data-target="#element-id"]></script>
 * or from code: MetastasisChat.mount({mode: "embed", target: element, server: "..."}).
 *
 * Where the Rasa server is, first match wins:
 *   1. data-server on the script tag, or `server` passed to mount() (the embedding page decides),
 *   2. ?server= in the page's URL, only when config.js allows it (allowServerParam: true),
 *   3. config.js (`server`), written by web/serve.py from its --rasa-url option,
 *   4. the page's own host on port 5005.
 */
(function () {
  "use strict";

  var DISCLAIMER =
    "Information from two articles \u2014 Carenity, 'Cancer metastases: what are they?' and " +
    "Verywell Health, 'What Is Metastatic Cancer?' \u2014 not medical advice. " +
    "Tell your healthcare provider about your own situation.";
  var WELCOME =
    "Hello! I answer questions about metastatic cancer: what it is, where cancers spread, " +
    "symptoms, tests and treatments. Try \u201cWhere does breast cancer spread?\u201d";
  var KEY_PREFIX = "metastasis-chat:";
  var MAX_STORED = 200;
  var REPLY_TIMEOUT_MS = 20000;
  var instances = 0;

  // ---------------------------------------------------------------- storage
  // Session id and transcript live in sessionStorage (default) or localStorage. Inside a
  // cross-site iframe with third-party storage blocked, even reading window.sessionStorage
  // throws SecurityError: then everything is kept in memory for the life of the page.
  function makeStore(kind) {
    var memory = {};
    var backend = null;
    try {
      backend = kind === "local" ? window.localStorage : window.sessionStorage;
      var probe = KEY_PREFIX + "probe";
      backend.setItem(probe, "1");
      backend.removeItem(probe);
    } catch (e) {
      backend = null;
    }
    return {
      persistent: !!backend,
      get: function (key) {
        if (backend) {
          try {
            return backend.getItem(KEY_PREFIX + key);
          } catch (e) {
            backend = null;
          }
        }
        return Object.prototype.hasOwnProperty.call(memory, key) ? memory[key] : null;
      },
      set: function (key, value) {
        memory[key] = value;
        if (backend) {
          try {
            backend.setItem(KEY_PREFIX + key, value);
          } catch (e) {
            backend = null; // quota or blocked: keep going in memory
          }
        }
      },
      remove: function (key) {
        delete memory[key];
        if (backend) {
          try {
            backend.removeItem(KEY_PREFIX + key);
          } catch (e) {
            backend = null;
          }
        }
      },
    };
  }

  // ---------------------------------------------------------------- configuration
  function httpUrl(value) {
    if (!value || typeof value !== "string") return null;
    try {
      var url = new URL(value, window.location.href);
      if (url.protocol !== "http:" && url.protocol !== "https:") return null;
      return url.origin + url.pathname.replace(/\/+$/, "");
    } catch (e) {
      return null;
    }
  }

  function defaultServer() {
    var loc = window.location;
    var protocol = loc.protocol === "https:" ? "https:" : "http:";
    return protocol + "//" + (loc.hostname || "localhost") + ":5005";
  }

  function resolveOptions(options) {
    var cfg = window.METASTASIS_CHAT_CONFIG || {};
    var fromQuery = null;
    if (cfg.allowServerParam) {
      try {
        fromQuery = new URLSearchParams(window.location.search).get("server");
      } catch (e) {
        fromQuery = null;
      }
    }
    return {
      mode: options.mode === "embed" ? "embed" : "launcher",
      server:
        httpUrl(options.server) || httpUrl(fromQuery) || httpUrl(cfg.server) || defaultServer(),
      socketPath: options.socketPath || cfg.socketPath || "/socket.io",
      storage: (options.storage || cfg.storage) === "local" ? "local" : "session",
      title: options.title || cfg.title || "Metastatic cancer questions",
      target: options.target || null,
    };
  }

  // ---------------------------------------------------------------- safe markdown
  function escapeHtml(text) {
    return String(text)
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;")
      .replace(/'/g, "&#39;");
  }

  var markdown = null;
  function renderMarkdown(text) {
    if (!markdown) {
      markdown = new window.marked.Marked({ gfm: true, breaks: true, async: false });
      markdown.use({
        renderer: {
          // Raw HTML in a message is shown as text, never interpreted.
          html: function (token) {
            return escapeHtml(token.text || token.raw || "");
          },
          // Headings would break the page's outline: show them as bold paragraphs.
          heading: function (token) {
            return "<p><strong>" + this.parser.parseInline(token.tokens) + "</strong></p>\n";
          },
          // Pictures come as image messages (with alt text); inline ones become links.
          image: function (token) {
            return (
              '<a href="' + escapeHtml(token.href) + '">' +
              escapeHtml(token.text || token.href) + "</a>"
            );
          },
        },
      });
    }
    var html = markdown.parse(String(text));
    return window.DOMPurify.sanitize(html, {
      ALLOWED_TAGS: [
        "p", "br", "strong", "b", "em", "i", "del", "s", "code", "pre", "blockquote",
        "ul", "ol", "li", "a", "hr", "table", "thead", "tbody", "tr", "th", "td",
      ],
      ALLOWED_ATTR: ["href", "title", "start"],
      ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|tel:|#)/i,
    });
  }

  var purifyHooked = false;
  function hookPurify() {
    if (purifyHooked || !window.DOMPurify) return;
    purifyHooked = true;
    window.DOMPurify.addHook("afterSanitizeAttributes", function (node) {
      if (node.tagName === "A" && node.hasAttribute("href")) {
        node.setAttribute("target", "_blank");
        node.setAttribute("rel", "noopener noreferrer");
        node.setAttribute("data-new-tab", "");
      }
    });
  }

  function safeImageUrl(src) {
    if (!src || typeof src !== "string") return null;
    if (/^data:image\/(png|jpe?g|gif|webp|svg\+xml)[;,]/i.test(src)) return src;
    try {
      var url = new URL(src, document.baseURI);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  // ---------------------------------------------------------------- bot messages
  // Turns one `bot_uttered` payload into a stored entry {from, text, replies, image, alt}.
  function normaliseBotMessage(data) {
    if (typeof data === "string") return { from: "bot", text: data };
    if (!data || typeof data !== "object") return null;
    var entry = { from: "bot" };
    if (typeof data.text === "string" && data.text.trim()) entry.text = data.text;

    var buttons = Array.isArray(data.quick_replies) ? data.quick_replies
      : Array.isArray(data.buttons) ? data.buttons : [];
    var replies = [];
    buttons.forEach(function (b) {
      if (!b || typeof b !== "object") return;
      var title = b.title != null ? String(b.title) : "";
      var payload = b.payload != null ? String(b.payload) : title;
      if (title) replies.push({ title: title, payload: payload });
    });
    if (replies.length) entry.replies = replies;

    var att = data.attachment;
    var image = null;
    var alt = null;
    if (att && typeof att === "object" && att.type === "image" && att.payload) {
      image = typeof att.payload === "string" ? att.payload : att.payload.src || att.payload.url;
      alt = att.payload.alt || att.payload.title || null;
    } else if (typeof data.image === "string") {
      image = data.image;
    } else if (data.image && typeof data.image === "object") {
      image = data.image.src || data.image.url;
      alt = data.image.alt || null;
    }
    if (!alt && typeof data.alt === "string") alt = data.alt;
    image = safeImageUrl(image);
    if (image) {
      entry.image = image;
      entry.alt = alt ? String(alt) : "Picture sent by the assistant";
    }
    return entry.text || entry.replies || entry.image ? entry : null;
  }

  // The custom payload that follows the assistant's "I have deleted this conversation"
  // (domain.yml, utter_conversation_forgotten, socketio variation).
  function isForgetMarker(data) {
    return !!data && typeof data === "object" && data.conversation_forgotten === true;
  }

  // ---------------------------------------------------------------- DOM helpers
  function el(tag, className, attrs) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (attrs) {
      Object.keys(attrs).forEach(function (name) {
        node.setAttribute(name, attrs[name]);
      });
    }
    return node;
  }

  function hidden(text) {
    var span = el("span", "mc-sr-only");
    span.textContent = text;
    return span;
  }

  // ---------------------------------------------------------------- the widget
  function Widget(options) {
    this.opts = resolveOptions(options || {});
    this.id = "mc" + ++instances;
    this.store = makeStore(this.opts.storage);
    this.sessionId = this.store.get("session");
    this.transcript = this.loadTranscript();
    this.queue = [];
    this.socket = null;
    this.ready = false;
    this.replyTimer = null;
    hookPurify();
    this.build();
    this.renderTranscript();
    if (this.opts.mode === "embed") {
      this.connect();
    } else if (this.store.get("open") === "1") {
      this.open(false);
    }
  }

  Widget.prototype.loadTranscript = function () {
    try {
      var parsed = JSON.parse(this.store.get("log") || "[]");
      return Array.isArray(parsed) ? parsed : [];
    } catch (e) {
      return [];
    }
  };

  Widget.prototype.saveTranscript = function () {
    if (this.transcript.length > MAX_STORED) {
      this.transcript = this.transcript.slice(-MAX_STORED);
    }
    this.store.set("log", JSON.stringify(this.transcript));
  };

  Widget.prototype.build = function () {
    var self = this;
    var id = this.id;
    var embed = this.opts.mode === "embed";
    var root = el("div", "mc-root " + (embed ? "mc-embed" : "mc-floating"));
    root.setAttribute("data-mc-root", "");

    var panel = el("section", "mc-panel", { id: id + "-panel", "aria-labelledby": id + "-title" });
    var header = el("header", "mc-header");
    var title = el(embed ? "h1" : "h2", "mc-title", { id: id + "-title" });
    title.textContent = this.opts.title;
    header.appendChild(title);

    var reset = el("button", "mc-icon-button mc-reset", { type: "button" });
    reset.textContent = "New chat";
    reset.setAttribute("aria-label", "New chat: start a new conversation (clears this one)");
    reset.addEventListener("click", function () {
      self.reset();
    });
    header.appendChild(reset);
    if (!embed) {
      var close = el("button", "mc-icon-button mc-close", { type: "button", "aria-label": "Close chat" });
      close.textContent = "\u00d7";
      close.addEventListener("click", function () {
        self.close(true);
      });
      header.appendChild(close);
    }
    panel.appendChild(header);

    var disclaimer = el("p", "mc-disclaimer", { id: id + "-disclaimer" });
    disclaimer.textContent = DISCLAIMER;
    panel.appendChild(disclaimer);

    var log = el("div", "mc-log", {
      role: "log",
      "aria-live": "polite",
      "aria-relevant": "additions",
      "aria-label": "Conversation",
      tabindex: "0",
    });
    panel.appendChild(log);

    var typing = el("div", "mc-typing", { "aria-hidden": "true" });
    typing.appendChild(el("span"));
    typing.appendChild(el("span"));
    typing.appendChild(el("span"));
    typing.hidden = true;
    panel.appendChild(typing);

    var status = el("p", "mc-status", { role: "status" });
    panel.appendChild(status);

    var form = el("form", "mc-form", { novalidate: "" });
    var label = el("label", "mc-sr-only", { for: id + "-input" });
    label.textContent = "Your question";
    var input = el("input", "mc-input", {
      id: id + "-input",
      type: "text",
      autocomplete: "off",
      maxlength: "1000",
      enterkeyhint: "send",
      placeholder: "Ask about metastatic cancer\u2026",
      "aria-describedby": id + "-disclaimer",
    });
    var send = el("button", "mc-send", { type: "submit" });
    send.textContent = "Send";
    form.appendChild(label);
    form.appendChild(input);
    form.appendChild(send);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = input.value.trim();
      if (!text) return;
      input.value = "";
      self.sendUser(text, text);
    });
    panel.appendChild(form);

    root.appendChild(panel);

    if (!embed) {
      var launcher = el("button", "mc-launcher", {
        type: "button",
        "aria-expanded": "false",
        "aria-controls": id + "-panel",
      });
      launcher.appendChild(el("span", "mc-launcher-icon", { "aria-hidden": "true" }));
      var launcherText = el("span", "mc-launcher-text");
      launcherText.textContent = "Chat";
      launcher.appendChild(launcherText);
      launcher.setAttribute("aria-label", "Chat about metastatic cancer");
      launcher.addEventListener("click", function () {
        if (self.isOpen) self.close(true);
        else self.open(true);
      });
      root.appendChild(launcher);
      panel.hidden = true;
      panel.addEventListener("keydown", function (event) {
        if (event.key === "Escape") {
          event.preventDefault();
          self.close(true);
        }
      });
      this.launcher = launcher;
    }

    this.root = root;
    this.panel = panel;
    this.log = log;
    this.typing = typing;
    this.status = status;
    this.input = input;

    var target = this.opts.target;
    if (typeof target === "string") target = document.querySelector(target);
    (target || document.body).appendChild(root);
  };

  // The panel's open state: shown or hidden, announced on the launcher, kept for the tab.
  Widget.prototype.setOpen = function (open) {
    this.isOpen = open;
    this.panel.hidden = !open;
    this.root.classList.toggle("mc-open", open);
    if (this.launcher) this.launcher.setAttribute("aria-expanded", open ? "true" : "false");
    this.store.set("open", open ? "1" : "0");
  };

  Widget.prototype.open = function (focus) {
    this.setOpen(true);
    this.connect();
    this.scrollToEnd();
    if (focus) this.input.focus();
  };

  Widget.prototype.close = function (focusLauncher) {
    this.setOpen(false);
    if (focusLauncher && this.launcher) this.launcher.focus();
  };

  Widget.prototype.setStatus = function (text) {
    if (this.status.textContent !== text) this.status.textContent = text;
  };

  // ------------------------------------------------------------ socket
  Widget.prototype.connect = function () {
    if (this.socket) return;
    var self = this;
    if (typeof window.io !== "function") {
      this.setStatus("The chat could not load (socket.io-client is missing).");
      return;
    }
    this.setStatus("Connecting\u2026");
    var socket = window.io(this.opts.server, {
      path: this.opts.socketPath,
      reconnectionDelayMax: 10000,
    });
    this.socket = socket;
    socket.on("connect", function () {
      self.ready = false;
      socket.emit("session_request", { session_id: self.sessionId || null });
    });
    socket.on("session_confirm", function (data) {
      var id = typeof data === "string" ? data : data && data.session_id;
      if (!id) return;
      if (self.sessionId && id !== self.sessionId) {
        // The server started another conversation: the stored one no longer applies.
        self.clearTranscript();
      }
      self.sessionId = id;
      self.store.set("session", id);
      self.ready = true;
      self.setStatus("");
      self.flush();
    });
    socket.on("bot_uttered", function (data) {
      self.receiveBot(data);
    });
    socket.on("connect_error", function () {
      self.ready = false;
      self.setStatus("Can\u2019t reach the assistant right now. Retrying\u2026");
    });
    socket.on("disconnect", function (reason) {
      self.ready = false;
      if (reason !== "io client disconnect") self.setStatus("Connection lost. Reconnecting\u2026");
    });
  };

  Widget.prototype.flush = function () {
    while (this.ready && this.queue.length) {
      var payload = this.queue.shift();
      this.socket.emit("user_uttered", {
        message: payload,
        session_id: this.sessionId,
        metadata: {},
      });
    }
  };

  Widget.prototype.sendUser = function (shown, payload) {
    this.removeReplies();
    this.append({ from: "user", text: shown });
    this.queue.push(payload);
    this.connect();
    this.flush();
    this.showTyping(true);
  };

  Widget.prototype.showTyping = function (on) {
    var self = this;
    this.typing.hidden = !on;
    clearTimeout(this.replyTimer);
    if (on) {
      this.replyTimer = setTimeout(function () {
        self.typing.hidden = true;
        self.setStatus("No answer yet. Check your connection, or ask again.");
      }, REPLY_TIMEOUT_MS);
    }
  };

  Widget.prototype.receiveBot = function (data) {
    if (isForgetMarker(data)) {
      this.forget();
      return;
    }
    var entry = normaliseBotMessage(data);
    if (!entry) return;
    this.showTyping(false);
    if (this.status.textContent.indexOf("No answer yet") === 0) this.setStatus("");
    this.append(entry);
  };

  // ------------------------------------------------------------ transcript
  Widget.prototype.append = function (entry) {
    this.transcript.push(entry);
    this.saveTranscript();
    this.removeWelcome();
    this.log.appendChild(this.renderEntry(entry, this.transcript.length - 1));
    this.scrollToEnd();
  };

  Widget.prototype.renderTranscript = function () {
    var self = this;
    this.log.textContent = "";
    if (!this.transcript.length) {
      var welcome = this.renderEntry({ from: "bot", text: WELCOME }, -1);
      welcome.classList.add("mc-welcome");
      this.log.appendChild(welcome);
    }
    this.transcript.forEach(function (entry, index) {
      self.log.appendChild(self.renderEntry(entry, index));
    });
    this.scrollToEnd();
  };

  Widget.prototype.removeWelcome = function () {
    var welcome = this.log.querySelector(".mc-welcome");
    if (welcome) welcome.remove();
  };

  Widget.prototype.renderEntry = function (entry, index) {
    var self = this;
    var fromUser = entry.from === "user";
    var item = el("div", "mc-msg " + (fromUser ? "mc-user" : "mc-bot"));
    item.appendChild(hidden(fromUser ? "You said: " : "Assistant: "));
    if (entry.text) {
      var bubble = el("div", "mc-bubble", { dir: "auto" });
      if (fromUser || !window.marked || !window.DOMPurify) {
        // Typed text is never interpreted as HTML; without the markdown libraries, neither is
        // the assistant's.
        bubble.textContent = entry.text;
      } else {
        bubble.innerHTML = renderMarkdown(entry.text);
        Array.prototype.forEach.call(bubble.querySelectorAll("a[data-new-tab]"), function (a) {
          a.removeAttribute("data-new-tab");
          a.appendChild(hidden(" (opens in a new tab)"));
        });
      }
      item.appendChild(bubble);
    }
    if (entry.image) {
      var figure = el("figure", "mc-figure");
      var img = el("img", "mc-image", { loading: "lazy", decoding: "async" });
      img.alt = entry.alt || "";
      img.src = entry.image;
      img.addEventListener("load", function () {
        self.scrollToEnd();
      });
      figure.appendChild(img);
      item.appendChild(figure);
    }
    if (entry.replies && entry.replies.length && !entry.repliesUsed) {
      var group = el("div", "mc-replies", { role: "group", "aria-label": "Suggested replies" });
      entry.replies.forEach(function (reply) {
        var button = el("button", "mc-reply", { type: "button" });
        button.textContent = reply.title;
        button.addEventListener("click", function () {
          self.sendUser(reply.title, reply.payload);
          self.input.focus();
        });
        group.appendChild(button);
      });
      item.appendChild(group);
    }
    return item;
  };

  // Quick replies belong to the turn that offered them: once the user speaks, they go.
  Widget.prototype.removeReplies = function () {
    var changed = false;
    this.transcript.forEach(function (entry) {
      if (entry.replies && !entry.repliesUsed) {
        entry.repliesUsed = true;
        changed = true;
      }
    });
    if (changed) this.saveTranscript();
    Array.prototype.forEach.call(this.log.querySelectorAll(".mc-replies"), function (group) {
      group.remove();
    });
  };

  Widget.prototype.clearTranscript = function () {
    this.transcript = [];
    this.store.remove("log");
    this.renderTranscript();
  };

  // "Forget me": the assistant has deleted this conversation on its side and sent the marker
  // after its confirmation. Drop the local copy too (session id and transcript, from storage
  // and memory) and start the next message in a new session. The confirmation stays on screen
  // until the page is left, but is not stored.
  Widget.prototype.forget = function () {
    var notice = [];
    for (var i = this.transcript.length - 1; i >= 0 && this.transcript[i].from !== "user"; i--) {
      notice.unshift({ from: "bot", text: this.transcript[i].text, image: this.transcript[i].image,
                       alt: this.transcript[i].alt });
    }
    this.transcript = [];
    this.store.remove("log");
    this.store.remove("session");
    this.sessionId = null;
    this.showTyping(false);
    this.renderTranscript();
    var self = this;
    if (notice.length) {
      this.removeWelcome();
      notice.forEach(function (entry) {
        var item = self.renderEntry(entry, -1);
        item.classList.add("mc-forgotten");
        self.log.appendChild(item);
      });
      this.scrollToEnd();
    }
    if (this.socket && this.socket.connected) {
      this.ready = false;
      this.socket.emit("session_request", { session_id: null });
    }
  };

  Widget.prototype.reset = function () {
    this.clearTranscript();
    this.sessionId = null;
    this.store.remove("session");
    this.queue = [];
    this.showTyping(false);
    if (this.socket && this.socket.connected) {
      this.ready = false;
      this.socket.emit("session_request", { session_id: null });
    }
    this.input.focus();
  };

  Widget.prototype.scrollToEnd = function () {
    this.log.scrollTop = this.log.scrollHeight;
  };

  // ---------------------------------------------------------------- public API
  var api = {
    mount: function (options) {
      return new Widget(options);
    },
    // Exposed for tests and for pages that render messages themselves.
    _renderMarkdown: function (text) {
      hookPurify();
      return renderMarkdown(text);
    },
    _normaliseBotMessage: normaliseBotMessage,
  };
  window.MetastasisChat = api;

  var script = document.currentScript;
  if (script && script.hasAttribute("data-mode")) {
    var options = {
      mode: script.getAttribute("data-mode"),
      server: script.getAttribute("data-server"),
      storage: script.getAttribute("data-storage"),
      target: script.getAttribute("data-target"),
    };
    var start = function () {
      api.instance = api.mount(options);
    };
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
    else start();
  }
})();
