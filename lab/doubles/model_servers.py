"""DOUBLES of model servers for the lab: Ollama, llama.cpp's llama-server and vLLM. Not the vendors' software.

The lab has no GPU and no model files, so these stand in for the servers, answering the documented requests in
the documented shapes (Ollama docs/api.md; llama.cpp tools/server/README.md; vLLM's OpenAI-compatible server):

  Ollama      GET /  ("Ollama is running")  GET /api/version  GET /api/tags  GET /api/ps
              POST /api/chat  /api/generate  /api/embed  /api/embeddings  GET /v1/models  POST /v1/chat/completions
              400 {"error":"model is required"}, 404 {"error":"model \\"x\\" not found, try pulling it first"}
  llama.cpp   GET /health /v1/health: 200 {"status":"ok"}, 503 {"error":{"code":503,"message":"Loading model",
              "type":"unavailable_error"}} while loading;  GET /v1/models /models;  POST /v1/chat/completions
              (503 while loading; 401 "Invalid API Key" without the key when started with one)
  vLLM        GET /health (200, empty; 503 when the engine died)  /ping  /version  GET /v1/models
              POST /v1/chat/completions (404 for a model it does not serve; 401 {"error":"Unauthorized"} on /v1/*
              without the key when started with one)

One process is one server (one "GPU container"). Faults, as the seeds meet them:
  --load-s N     slow start. llama.cpp listens at once and answers 503 "Loading model" for N s; Ollama and
                 vLLM only start listening after N s (connection refused meanwhile), as vLLM binds after loading.
  --hang         accept connections and never answer (a wedged server: the probe must time out).
  --dead         vLLM: /health answers 503 (EngineDeadError).

Every answer says which double gave it ("[double <label>] ..."), every request is appended to --log as one JSON
line, and --state gets {"started": t, "listening": t, "ready": t} (epoch seconds), so a test can prove where a
request went and in which order servers came up.

  python3 model_servers.py --runtime llamacpp --port 3009 --models qwen2.5-coder:7b --label local/coder \\
      [--load-s 3] [--api-key-file F] [--log F] [--state F] [--hang] [--dead]
"""

import argparse
import http.server
import json
import os
import socketserver
import threading
import time
import uuid

ARGS = None
STARTED = time.time()
READY = {'at': None}
LOADED = set()


def now_iso():
    return time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime()) + '.000000Z'


def write_state(**values):
    if not ARGS.state:
        return
    current = {}
    if os.path.exists(ARGS.state):
        with open(ARGS.state) as handle:
            current = json.load(handle)
    current.update(values)
    with open(ARGS.state + '.tmp', 'w') as handle:
        json.dump(current, handle)
    os.replace(ARGS.state + '.tmp', ARGS.state)


def record(path, model, status):
    if ARGS.log:
        with open(ARGS.log, 'a') as handle:
            handle.write(json.dumps({'time': time.time(), 'label': ARGS.label, 'runtime': ARGS.runtime, 'path': path,
                                     'model': model, 'status': status}) + '\n')


def loading():
    return time.time() - STARTED < ARGS.load_s


def answer_text(model, messages):
    last = ''
    for message in messages or ():
        if isinstance(message, dict) and message.get('role') == 'user':
            content = message.get('content')
            last = content if isinstance(content, str) else json.dumps(content)
    return '[double %s] %s answers: %s' % (ARGS.label, model, last[:200])


def embedding(text):
    seed = sum(ord(c) for c in str(text)) or 1
    return [round(((seed * (i + 7)) % 997) / 997.0, 6) for i in range(8)]


def model_record(name):
    family = name.split(':')[0].split('-')[0]
    size = 4683087332 if 'embed' not in name else 274302450
    return {'name': name, 'model': name, 'modified_at': '2026-11-01T12:00:00.000000000Z', 'size': size,
            'digest': uuid.uuid5(uuid.NAMESPACE_DNS, name).hex * 2,
            'details': {'parent_model': '', 'format': 'gguf', 'family': family, 'families': [family],
                        'parameter_size': '7.6B', 'quantization_level': 'Q4_K_M'}}


def openai_models(owner):
    created = int(STARTED)
    data = []
    for name in ARGS.models:
        item = {'id': name, 'object': 'model', 'created': created, 'owned_by': owner}
        if owner == 'vllm':
            item.update(root=name, parent=None, max_model_len=32768,
                        permission=[{'id': 'modelperm-%s' % uuid.uuid4().hex, 'object': 'model_permission',
                                     'created': created, 'allow_create_engine': False, 'allow_sampling': True,
                                     'allow_logprobs': True, 'allow_search_indices': False, 'allow_view': True,
                                     'allow_fine_tuning': False, 'organization': '*', 'group': None,
                                     'is_blocking': False}])
        else:
            item['meta'] = {'vocab_type': 2, 'n_vocab': 152064, 'n_ctx_train': 32768, 'n_embd': 3584,
                            'n_params': 7615616512, 'size': 4677120000}
        data.append(item)
    return {'object': 'list', 'data': data}


def chat_completion(model, messages):
    text = answer_text(model, messages)
    return {'id': 'chatcmpl-%s' % uuid.uuid4().hex, 'object': 'chat.completion', 'created': int(time.time()),
            'model': model, 'choices': [{'index': 0, 'message': {'role': 'assistant', 'content': text},
                                         'finish_reason': 'stop', 'logprobs': None}],
            'usage': {'prompt_tokens': 12, 'completion_tokens': len(text.split()),
                      'total_tokens': 12 + len(text.split())}}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'homelab-double'

    # ------------------------------------------------------------------ plumbing
    def send(self, status, body, content_type='application/json'):
        data = body if isinstance(body, bytes) else (json.dumps(body) if not isinstance(body, str) else body).encode()
        self.send_response(status)
        self.send_header('Content-Type', content_type)
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def stream(self, chunks, sse):
        self.send_response(200)
        self.send_header('Content-Type', 'text/event-stream' if sse else 'application/x-ndjson')
        self.send_header('Transfer-Encoding', 'chunked')
        self.end_headers()
        lines = ['data: %s\n\n' % json.dumps(c) for c in chunks] + ['data: [DONE]\n\n'] if sse else \
            [json.dumps(c) + '\n' for c in chunks]
        for line in lines:
            data = line.encode()
            self.wfile.write(b'%x\r\n%s\r\n' % (len(data), data))
        self.wfile.write(b'0\r\n\r\n')

    def body(self):
        raw = self.rfile.read(int(self.headers.get('Content-Length') or 0))
        try:
            value = json.loads(raw or b'null')
        except ValueError:
            return None, False
        return value, True

    def authorized(self):
        if not ARGS.api_key:
            return True
        return self.headers.get('Authorization', '') == 'Bearer %s' % ARGS.api_key

    def hang(self):
        if ARGS.hang:
            threading.Event().wait()
            return True
        return False

    def log_message(self, *args):
        pass

    # ------------------------------------------------------------------ routes
    def do_GET(self):
        if self.hang():
            return
        path = self.path.split('?')[0]
        getattr(self, 'get_' + ARGS.runtime)(path)

    def do_POST(self):
        if self.hang():
            return
        path = self.path.split('?')[0]
        body, valid = self.body()
        getattr(self, 'post_' + ARGS.runtime)(path, body, valid)

    # Ollama ---------------------------------------------------------------
    def get_ollama(self, path):
        if path == '/':
            self.send(200, 'Ollama is running', 'text/plain; charset=utf-8')
        elif path == '/api/version':
            self.send(200, {'version': '0.12.6'})
        elif path == '/api/tags':
            self.send(200, {'models': [model_record(m) for m in ARGS.models]})
        elif path == '/api/ps':
            loaded = [dict(model_record(m), expires_at='2099-01-01T00:00:00Z', size_vram=4683087332,
                           context_length=4096) for m in sorted(LOADED)]
            self.send(200, {'models': loaded})
        elif path == '/v1/models':
            self.send(200, openai_models('library'))
        else:
            self.send(404, '404 page not found', 'text/plain')

    def post_ollama(self, path, body, valid):
        if path not in ('/api/chat', '/api/generate', '/api/embed', '/api/embeddings', '/v1/chat/completions'):
            self.send(404, '404 page not found', 'text/plain')
            return
        if not valid or not isinstance(body, dict):
            self.send(400, {'error': 'invalid character in request body'})
            return
        model = body.get('model')
        if not model:
            self.send(400, {'error': 'model is required'})
            return
        known = next((m for m in ARGS.models if m == model or m == model + ':latest' or m + ':latest' == model), None)
        if known is None:
            record(path, model, 404)
            self.send(404, {'error': 'model "%s" not found, try pulling it first' % model})
            return
        LOADED.add(known)
        record(path, model, 200)
        done = {'model': model, 'created_at': now_iso(), 'done': True, 'done_reason': 'stop',
                'total_duration': 1200000, 'load_duration': 100000, 'prompt_eval_count': 12,
                'prompt_eval_duration': 300000, 'eval_count': 8, 'eval_duration': 800000}
        if path == '/api/chat':
            messages = body.get('messages') or []
            if not isinstance(messages, list):
                self.send(400, {'error': 'messages must be a list'})
                return
            text = answer_text(model, messages)
            if body.get('stream', True):
                chunk = {'model': model, 'created_at': now_iso(), 'message': {'role': 'assistant', 'content': text},
                         'done': False}
                self.stream([chunk, dict(done, message={'role': 'assistant', 'content': ''})], sse=False)
            else:
                self.send(200, dict(done, message={'role': 'assistant', 'content': text}))
        elif path == '/api/generate':
            text = answer_text(model, [{'role': 'user', 'content': body.get('prompt', '')}])
            if body.get('stream', True):
                self.stream([{'model': model, 'created_at': now_iso(), 'response': text, 'done': False},
                             dict(done, response='')], sse=False)
            else:
                self.send(200, dict(done, response=text))
        elif path == '/api/embed':
            inputs = body.get('input')
            inputs = [inputs] if isinstance(inputs, str) else inputs
            if not isinstance(inputs, list):
                self.send(400, {'error': 'invalid input type'})
                return
            self.send(200, {'model': model, 'embeddings': [embedding(i) for i in inputs], 'total_duration': 14143917,
                            'load_duration': 1019500, 'prompt_eval_count': 8})
        elif path == '/api/embeddings':
            self.send(200, {'embedding': embedding(body.get('prompt', ''))})
        else:
            self.send(200, chat_completion(model, body.get('messages')))

    # llama.cpp ------------------------------------------------------------
    LOADING = {'error': {'code': 503, 'message': 'Loading model', 'type': 'unavailable_error'}}

    def get_llamacpp(self, path):
        if path in ('/health', '/v1/health'):
            if loading():
                self.send(503, self.LOADING)
            else:
                self.send(200, {'status': 'ok'})
        elif path in ('/v1/models', '/models'):
            if loading():
                self.send(503, self.LOADING)
            else:
                self.send(200, openai_models('llamacpp'))
        elif not self.authorized():
            self.send(401, {'error': {'code': 401, 'message': 'Invalid API Key', 'type': 'authentication_error'}})
        else:
            self.send(404, {'error': {'code': 404, 'message': 'File Not Found', 'type': 'not_found_error'}})

    def post_llamacpp(self, path, body, valid):
        if not self.authorized():
            self.send(401, {'error': {'code': 401, 'message': 'Invalid API Key', 'type': 'authentication_error'}})
            return
        if loading():
            self.send(503, self.LOADING)
            return
        if path not in ('/v1/chat/completions', '/chat/completions'):
            self.send(404, {'error': {'code': 404, 'message': 'File Not Found', 'type': 'not_found_error'}})
            return
        if not valid or not isinstance(body, dict) or not isinstance(body.get('messages'), list):
            self.send(400, {'error': {'code': 400, 'message': "'messages' is required and must be an array",
                                      'type': 'invalid_request_error'}})
            return
        # one model per server: llama-server answers with its own model whatever the request names
        record(path, body.get('model'), 200)
        reply = chat_completion(ARGS.models[0], body['messages'])
        reply['system_fingerprint'] = 'b6000-double'
        if body.get('stream'):
            delta = {'choices': [{'index': 0, 'delta': {'role': 'assistant',
                                                        'content': reply['choices'][0]['message']['content']},
                                  'finish_reason': None}], 'id': reply['id'], 'object': 'chat.completion.chunk',
                     'created': reply['created'], 'model': reply['model']}
            end = dict(delta, choices=[{'index': 0, 'delta': {}, 'finish_reason': 'stop'}])
            self.stream([delta, end], sse=True)
        else:
            self.send(200, reply)

    # vLLM -----------------------------------------------------------------
    def get_vllm(self, path):
        if path == '/health' or path == '/ping':
            self.send(503 if ARGS.dead else 200, b'')
        elif path == '/version':
            self.send(200, {'version': '0.11.0'})
        elif path.startswith('/v1/') and not self.authorized():
            self.send(401, {'error': 'Unauthorized'})
        elif path == '/v1/models':
            self.send(200, openai_models('vllm'))
        else:
            self.send(404, {'detail': 'Not Found'})

    def post_vllm(self, path, body, valid):
        if path.startswith('/v1/') and not self.authorized():
            self.send(401, {'error': 'Unauthorized'})
            return
        if path != '/v1/chat/completions':
            self.send(404, {'detail': 'Not Found'})
            return
        if not valid or not isinstance(body, dict) or not isinstance(body.get('messages'), list):
            self.send(400, {'object': 'error', 'message': 'messages: Field required', 'type': 'BadRequestError',
                            'param': None, 'code': 400})
            return
        if body.get('model') not in ARGS.models:
            record(path, body.get('model'), 404)
            self.send(404, {'object': 'error', 'message': 'The model `%s` does not exist.' % body.get('model'),
                            'type': 'NotFoundError', 'param': None, 'code': 404})
            return
        record(path, body['model'], 200)
        self.send(200, chat_completion(body['model'], body['messages']))


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    global ARGS
    parser = argparse.ArgumentParser(description='DOUBLES of Ollama, llama-server and vLLM for the lab')
    parser.add_argument('--runtime', required=True, choices=('ollama', 'llamacpp', 'vllm'))
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--bind', default='0.0.0.0')  # noqa: S104 - lab containers only
    parser.add_argument('--models', required=True, help='comma-separated model names')
    parser.add_argument('--label', default='')
    parser.add_argument('--load-s', type=float, default=0.0)
    parser.add_argument('--api-key-file')
    parser.add_argument('--log')
    parser.add_argument('--state')
    parser.add_argument('--hang', action='store_true')
    parser.add_argument('--dead', action='store_true')
    ARGS = parser.parse_args()
    ARGS.models = [m for m in ARGS.models.split(',') if m]
    ARGS.label = ARGS.label or '%s:%d' % (ARGS.runtime, ARGS.port)
    ARGS.api_key = None
    if ARGS.api_key_file:
        with open(ARGS.api_key_file) as handle:
            ARGS.api_key = handle.read().strip()
    write_state(started=STARTED, listening=None, ready=None, label=ARGS.label)
    if ARGS.runtime in ('ollama', 'vllm') and ARGS.load_s:
        time.sleep(ARGS.load_s)  # these bind only once the model is loaded: connection refused meanwhile
    server = Server((ARGS.bind, ARGS.port), Handler)
    listening = time.time()
    write_state(listening=listening, ready=listening if not loading() else None)
    if loading():
        def mark_ready():
            time.sleep(max(0.0, STARTED + ARGS.load_s - time.time()))
            write_state(ready=time.time())
        threading.Thread(target=mark_ready, daemon=True).start()
    print('%s double %s on port %d serving %s' % (ARGS.runtime, ARGS.label, ARGS.port, ', '.join(ARGS.models)),
          flush=True)
    server.serve_forever()


if __name__ == '__main__':
    main()
