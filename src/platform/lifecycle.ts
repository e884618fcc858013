/** Whether this node should receive traffic; `/health/ready` reports it to the load balancer. */
export class Lifecycle {
  #ready = false;
  #draining = false;

  get ready(): boolean {
    return this.#ready && !this.#draining;
  }
  get draining(): boolean {
    return this.#draining;
  }

  markReady(): void {
    this.#ready = true;
  }

  /** From now on `/health/ready` answers 503, so the balancer stops sending new requests. */
  startDraining(): void {
    this.#draining = true;
  }
}
