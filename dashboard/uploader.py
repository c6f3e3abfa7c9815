"""The video file box: the browser sends the file straight to the upload route
(``upload_route``), a chunk at a time with a progress bar, and the page reruns once it has all
arrived. Nothing of the file passes through Streamlit's own uploader (which keeps files in
memory)."""

from __future__ import annotations

import streamlit as st

from dashboard import upload_route, uploads
from dashboard.safe import plain

HTML = """<div class="of-upload"><span class="of-label"></span>
<label class="of-pick"><input type="file"><span class="of-icon">⬆</span>
<span class="of-hint">Drag a video here, or <u>choose a file</u></span>
<span class="of-limit"></span></label><div class="of-state"></div></div>"""
CSS = """
.of-upload{font-family:var(--st-font);font-size:.9rem;color:var(--st-text-color)}
.of-label{display:block;margin-bottom:.35rem}
.of-pick{display:flex;align-items:center;gap:.75rem;padding:1rem 1.1rem;cursor:pointer;
  border:1px dashed rgba(128,128,128,.55);border-radius:.5rem;
  background:var(--st-secondary-background-color)}
.of-pick:hover,.of-pick.of-over{border-color:var(--st-primary-color)}
.of-pick input{position:absolute;width:1px;height:1px;opacity:0;pointer-events:none}
.of-icon{font-size:1.3rem;opacity:.7}
.of-hint{flex:1}
.of-limit{opacity:.6;font-size:.8rem}
.of-state{margin-top:.35rem;opacity:.8;min-height:1.2rem}
"""
JS = """
export default function(component) {
  const { data, parentElement, setTriggerValue } = component;
  const input = parentElement.querySelector("input");
  const state = parentElement.querySelector(".of-state");
  const pick = parentElement.querySelector(".of-pick");
  parentElement.querySelector(".of-label").textContent = data.label;
  parentElement.querySelector(".of-limit").textContent = `up to ${data.limit_text}`;
  input.accept = data.accept;
  input.setAttribute("aria-label", data.label);
  pick.ondragover = (e) => { e.preventDefault(); pick.classList.add("of-over"); };
  pick.ondragleave = () => pick.classList.remove("of-over");
  pick.ondrop = (e) => {
    e.preventDefault();
    pick.classList.remove("of-over");
    if (e.dataTransfer.files.length) send(e.dataTransfer.files[0]);
  };
  input.onchange = () => { if (input.files[0]) send(input.files[0]); };
  const send = (file) => {
    if (file.size > data.limit) {
      state.textContent = `${file.name} is larger than this server takes (${data.limit_text}).`;
      return;
    }
    const request = new XMLHttpRequest();
    request.open("PUT", data.url);
    request.setRequestHeader("X-File-Name", encodeURIComponent(file.name));
    request.upload.onprogress = (e) => {
      if (e.lengthComputable) {
        state.textContent = `Uploading ${file.name}: ${Math.floor(100 * e.loaded / e.total)}%`;
      }
    };
    request.onload = () => {
      if (request.status === 204) {
        state.textContent = `${file.name} uploaded.`;
        setTriggerValue("uploaded", true);
      } else {
        state.textContent = request.status === 413
          ? `${file.name} is larger than this server takes (${data.limit_text}).`
          : `The upload failed (${request.status}); choose the file again.`;
      }
    };
    request.onerror = () => { state.textContent = "The upload failed; choose the file again."; };
    input.disabled = true;
    state.textContent = `Uploading ${file.name}…`;
    request.send(file);
  };
}
"""
_BOX = st.components.v2.component("oneframe_video_upload", html=HTML, css=CSS, js=JS)


def video_upload(label: str, accept: list[str], key: str) -> upload_route.Pending | None:
    """The session's video upload box; the upload, once it has fully arrived (else None)."""
    token = st.session_state.get(key)
    if token is None:
        token = st.session_state[key] = upload_route.issue(uploads.new_folder)
    done = upload_route.received(token)
    if done is not None:
        left, right = st.columns([6, 1], vertical_alignment="center")
        left.markdown(f"**{plain(done.name)}** · {done.size / 1e6:,.1f} MB, "
                      "uploaded")
        if right.button("Remove", key=f"{key}-remove", icon=":material/close:"):
            forget(key)
            st.rerun()
        return done
    limit = upload_route.max_bytes()
    _BOX(key=f"{key}-{token[:8]}", on_uploaded_change=lambda: None,
         data={"url": upload_route.PREFIX + token, "label": label, "limit": limit,
               "limit_text": f"{limit / 1e6:,.0f} MB",
               "accept": ",".join(f".{suffix}" for suffix in accept)})
    return None


def arrived(key: str) -> bool:
    """Whether the session's upload box holds a file that has fully arrived."""
    return upload_route.received(st.session_state.get(key)) is not None


def drop(token: str) -> None:
    """Let go of an upload by its token (its folder goes)."""
    upload_route.drop(token)


def forget(key: str) -> None:
    """Drop the session's upload (its folder goes); the next run offers a fresh box."""
    upload_route.drop(st.session_state.pop(key, None))


def hand_over(key: str) -> upload_route.Pending | None:
    """The arrived upload, now the caller's (its ingest removes its folder)."""
    token = st.session_state.pop(key, None)
    return upload_route.take(token) if token else None
