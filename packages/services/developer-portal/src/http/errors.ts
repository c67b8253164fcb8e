/**
 * A form the developer can correct: the page is shown again with this message (422). Messages are
 * written for people and are shown as they are.
 */
export class PortalInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PortalInputError';
  }
}

/**
 * Not there, or not the signed-in developer's: answered 404 with the same page either way, so ids of
 * other developers' apps, endpoints or events cannot be told from ids that do not exist.
 */
export class PortalNotFoundError extends Error {
  constructor() {
    super('not found');
    this.name = 'PortalNotFoundError';
  }
}
