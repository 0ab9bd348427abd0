// vlalign web demo: plain JavaScript, no build step, no external resources.
// Talks to the local server only (see WebDemo's javadoc for the routes).
'use strict';

const $ = (id) => document.getElementById(id);
const state = { conversation: null, imageId: null, imageName: null, busy: false, status: null, searches: 0 };
const FINISH = {
  EOS: 'finished',
  STOP_STRING: 'stopped at a stop string',
  MAX_TOKENS: 'reached the token limit',
  CONTEXT_LENGTH: 'the context is full',
};

function show(el, text, isError) {
  el.textContent = text || '';
  el.classList.toggle('error', Boolean(isError));
}

async function json(response) {
  let body = null;
  try {
    body = await response.json();
  } catch (e) {
    // not JSON: fall through to the status text
  }
  if (!response.ok) {
    throw new Error((body && body.error) || (response.status + ' ' + response.statusText));
  }
  return body;
}

function imageUrl(id) {
  return '/api/image?id=' + encodeURIComponent(id);
}

// ------------------------------------------------------------------ status

async function loadStatus() {
  // also called after an upload joins the index, to refresh the count
  try {
    const s = await json(await fetch('/api/status'));
    state.status = s;
    const search = s.search.available
      ? s.search.images + ' images indexed'
      : 'search unavailable';
    show($('status'), 'Model ' + (s.model || '(unnamed)') + ' · ' + search);
    $('search-input').placeholder = s.searchExample;
    $('question').placeholder = s.questionExample;
    $('search-k').value = s.search.defaultK;
    $('search-k').max = s.search.maxK;
    $('beams').max = s.limits.maxBeams;
    $('temperature').max = s.limits.maxTemperature;
    $('max-tokens').max = s.limits.maxNewTokens;
    $('max-tokens').value = s.limits.defaultNewTokens;
    if (!s.search.available) {
      $('search-input').disabled = true;
      $('search-button').disabled = true;
      show($('search-message'), s.search.message, true);
    }
    if (s.search.available && s.search.images > 0 && !$('gallery').children.length) {
      // never an empty page: open with the example's results, saying so
      await runSearch(s.searchExample, true);
    }
    $('upload-index').disabled = !s.canAddToIndex;
    if (!s.canAddToIndex) {
      $('upload-index').parentElement.title = 'Needs a search model and --images DIR';
    }
  } catch (e) {
    show($('status'), 'The local server does not answer: ' + e.message, true);
  }
}

// ------------------------------------------------------------------ search

async function search(event) {
  event.preventDefault();
  const q = $('search-input').value.trim();
  if (q) {
    await runSearch(q, false);
  }
}

async function runSearch(q, example) {
  const params = new URLSearchParams({ q: q, k: $('search-k').value });
  const mine = ++state.searches; // a later search wins over an earlier one still on its way
  show($('search-message'), 'Searching…');
  $('search-button').disabled = true;
  try {
    const r = await json(await fetch('/api/search?' + params));
    if (mine !== state.searches) {
      return;
    }
    // relevance is known when the index keeps vectors; without it there is no signal either way
    // (the page's own example search keeps its examples line)
    const weak = !example && r.hits.length > 0 && !r.goodMatch && r.hits.some((h) => h.relevance !== undefined);
    renderGallery(r.hits, weak);
    show($('search-message'), r.hits.length
      ? (weak ? 'No good match for “' + r.query + '”: no image stands out for this text. These are only the '
          + r.hits.length + ' closest of ' + r.images + '.'
        : example ? 'Examples: the best ' + r.hits.length + ' of ' + r.images + ' images for “' + r.query
          + '”. Type your own search above.'
        : r.hits.length + ' of ' + r.images + ' images for “' + r.query + '” (' + r.millis + ' ms)')
      : (r.images ? 'No match.' : 'The index is empty.'), weak);
  } catch (e) {
    if (mine === state.searches) {
      show($('search-message'), e.message, true);
    }
  } finally {
    $('search-button').disabled = false;
  }
}

function renderGallery(hits, weak) {
  const gallery = $('gallery');
  gallery.replaceChildren();
  gallery.classList.toggle('weak', Boolean(weak));
  hits.forEach((hit, i) => {
    const li = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'hit';
    button.dataset.id = hit.id;
    button.setAttribute('aria-pressed', String(hit.id === state.imageId));
    button.setAttribute('aria-label', 'Chat about ' + hit.id + ', rank ' + (i + 1)
      + ', score ' + hit.score.toFixed(3) + (hit.goodMatch ? ', a good match' : ''));
    const img = document.createElement('img');
    img.src = imageUrl(hit.id);
    img.alt = '';
    img.loading = 'lazy';
    const meta = document.createElement('span');
    meta.className = 'meta';
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = hit.id;
    const score = document.createElement('span');
    score.className = 'score';
    score.textContent = hit.score.toFixed(3);
    if (hit.relevance !== undefined) {
      score.title = 'relevance ' + hit.relevance.toFixed(2) + (hit.goodMatch ? ' (a good match)' : ' (not a good match)');
    }
    meta.append(name, score);
    button.append(img, meta);
    button.addEventListener('click', () => startChat(hit.id));
    li.append(button);
    gallery.append(li);
  });
}

// ------------------------------------------------------------------ upload

async function upload(event) {
  event.preventDefault();
  const file = $('upload-input').files[0];
  if (!file) {
    show($('upload-message'), 'Choose an image file first.', true);
    return;
  }
  const limit = state.status ? state.status.limits.maxUploadBytes : Infinity;
  if (file.size > limit) {
    show($('upload-message'), 'The file is ' + file.size + ' bytes; the limit is ' + limit + ' bytes.', true);
    return;
  }
  const addToIndex = $('upload-index').checked && !$('upload-index').disabled;
  show($('upload-message'), 'Uploading…');
  $('upload-button').disabled = true;
  try {
    const query = new URLSearchParams({ index: addToIndex ? 1 : 0, name: file.name });
    const r = await json(await fetch('/api/images?' + query, {
      method: 'POST',
      headers: { 'Content-Type': file.type || 'application/octet-stream' },
      body: file,
    }));
    show($('upload-message'), r.indexed
      ? 'Added ' + r.name + ' to the index for this session (' + r.images + ' images).'
      : 'Uploaded ' + r.name + '.');
    if (r.indexed) {
      loadStatus(); // the header's image count
    }
    await startChat(r.id, r.name);
  } catch (e) {
    show($('upload-message'), e.message, true);
  } finally {
    $('upload-button').disabled = false;
  }
}

// ------------------------------------------------------------------ chat

async function startChat(imageId, name) {
  show($('chat-message'), '');
  try {
    const r = await json(await fetch('/api/conversations', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ image: imageId }),
    }));
    state.conversation = r.id;
    state.imageId = imageId;
    $('transcript').replaceChildren();
    $('chat-empty').hidden = true;
    $('chat-figure').hidden = false;
    $('chat-form').hidden = false;
    $('chat-image').src = imageUrl(imageId);
    state.imageName = name || imageId;
    $('chat-image').alt = 'The image of this chat: ' + state.imageName;
    $('chat-caption').textContent = state.imageName;
    $('new-chat').hidden = false;
    document.querySelectorAll('#gallery .hit').forEach((b) =>
      b.setAttribute('aria-pressed', String(b.dataset.id === imageId)));
    $('question').focus();
  } catch (e) {
    show($('chat-message'), e.message, true);
    $('chat-form').hidden = false;
  }
}

function addTurn(role, text) {
  const li = document.createElement('li');
  li.className = 'turn ' + role;
  const body = document.createElement('span');
  body.className = 'text';
  body.textContent = text;
  li.append(body);
  $('transcript').append(li);
  return li;
}

// An answer bubble is never empty: a placeholder while the first token is on its way, and a note in its
// place when the model ends without any text (or the request fails before any arrives).
const PENDING = '…';

function setAnswer(body, text, emptyNote) {
  const blank = !text || !text.trim();
  body.classList.toggle('placeholder', blank);
  body.textContent = blank ? emptyNote : text;
}

function finishTurn(li, info, state) {
  li.dataset.state = state;
  if (info) {
    const span = document.createElement('span');
    span.className = 'info';
    span.textContent = info;
    li.append(span);
  }
}

async function ask(event) {
  event.preventDefault();
  if (state.busy || !state.conversation) {
    return;
  }
  const text = $('question').value.trim();
  if (!text) {
    return;
  }
  const fields = new URLSearchParams({
    conversation: state.conversation,
    text: text,
    beams: $('beams').value,
    temperature: $('temperature').value,
    topP: $('top-p').value,
    maxNewTokens: $('max-tokens').value,
    attentionMap: $('attention-map').checked ? '1' : '0',
  });
  show($('chat-message'), '');
  state.busy = true;
  $('ask-button').disabled = true;
  addTurn('user', text);
  $('question').value = '';
  const answer = addTurn('assistant', '');
  answer.dataset.state = 'streaming';
  // screen readers announce the live transcript once the answer is complete, not token by token
  $('transcript').setAttribute('aria-busy', 'true');
  const body = answer.querySelector('.text');
  let streamed = '';
  setAnswer(body, '', PENDING);
  try {
    const response = await fetch('/api/chat', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: fields,
    });
    if (!response.ok) {
      await json(response); // throws with the server's message
    }
    await readEvents(response, (name, data) => {
      if (name === 'token') {
        streamed += data.text;
        setAnswer(body, streamed, PENDING);
        answer.scrollIntoView({ block: 'nearest' });
        $('question').scrollIntoView({ block: 'nearest' });
      } else if (name === 'done') {
        setAnswer(body, data.text, '(no answer: the model ended without any text; try another question or'
          + ' more new tokens)');
        finishTurn(answer, data.generatedTokens + ' tokens · ' + data.seconds + ' s · '
          + (FINISH[data.finishReason] || data.finishReason.toLowerCase()), 'done');
        answer.dataset.turns = data.turns;
        if (data.attentionMap) {
          showAttentionMap(answer, data.attentionMap);
        }
      } else if (name === 'error') {
        throw new Error(data.error);
      }
    });
    if (answer.dataset.state === 'streaming') {
      throw new Error('The answer stopped before it was complete.');
    }
  } catch (e) {
    answer.classList.add('error');
    setAnswer(body, streamed, '(no answer)');
    finishTurn(answer, e.message, 'error');
    show($('chat-message'), e.message, true);
  } finally {
    $('transcript').removeAttribute('aria-busy');
    state.busy = false;
    $('ask-button').disabled = false;
  }
}

// The answer's attention map (base64 PNG) as an image beside it; a blob: URL, as the page's policy allows.
function showAttentionMap(li, base64) {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const img = document.createElement('img');
  img.className = 'attention-map';
  img.alt = 'Attention map: where the answer looked in the image (red: most, blue: least)';
  img.title = 'Where the answer looked: red most, blue least';
  img.src = URL.createObjectURL(new Blob([bytes], { type: 'image/png' }));
  img.addEventListener('load', () => img.scrollIntoView({ block: 'nearest' }), { once: true });
  li.append(img);
}

// Reads a text/event-stream body: blocks of "event: NAME" and "data: JSON" lines, separated by a blank line.
async function readEvents(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) {
      break;
    }
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = 'message';
      let data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) {
          name = line.slice(6).trim();
        } else if (line.startsWith('data:')) {
          data += line.slice(5).trim();
        }
      }
      if (data) {
        onEvent(name, JSON.parse(data));
      }
    }
  }
}

// ------------------------------------------------------------------ controls

function syncControls() {
  $('temperature-value').textContent = $('temperature').value;
  $('top-p-value').textContent = $('top-p').value;
  const sampling = Number($('temperature').value) > 0;
  // beam search and sampling are not combined: sampling uses one beam
  if (sampling && Number($('beams').value) > 1) {
    $('beams').value = 1;
  }
  $('top-p').disabled = !sampling;
  // an attention map is drawn for one answer, not for a beam search
  const beams = Number($('beams').value) > 1;
  $('attention-map').disabled = beams;
  if (beams) {
    $('attention-map').checked = false;
  }
}

function onBeamsChange() {
  if (Number($('beams').value) > 1 && Number($('temperature').value) > 0) {
    $('temperature').value = 0;
  }
  syncControls();
}

document.addEventListener('DOMContentLoaded', () => {
  $('search-form').addEventListener('submit', search);
  $('upload-form').addEventListener('submit', upload);
  $('chat-form').addEventListener('submit', ask);
  // a fresh conversation about the same image: the model forgets the earlier turns
  $('new-chat').addEventListener('click', () => {
    if (state.imageId && !state.busy) {
      startChat(state.imageId, state.imageName);
    }
  });
  $('question').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      $('chat-form').requestSubmit();
    }
  });
  $('temperature').addEventListener('input', syncControls);
  $('top-p').addEventListener('input', syncControls);
  $('beams').addEventListener('change', onBeamsChange);
  $('beams').addEventListener('input', onBeamsChange);
  syncControls();
  loadStatus();
});
